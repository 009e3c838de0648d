package oracle

import (
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/provider"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// convItems: the same follow-up after two different conversations, and a
// lone question.
func convItems() []dataset.Item {
	follow := "and in Python?"
	return []dataset.Item{
		{ID: "c-go", Problem: follow, Benchmark: dataset.BenchmarkCaptured, Messages: []dataset.Message{
			{Role: "developer", Content: "Be brief."},
			{Role: "user", Content: "How do I reverse a list in Go?"},
			{Role: "assistant", Content: "Use slices.Reverse(s)."},
			{Role: "user", Content: follow}}},
		{ID: "c-rust", Problem: follow, Benchmark: dataset.BenchmarkCaptured, Messages: []dataset.Message{
			{Role: "user", Content: "How do I reverse a vector in Rust?"},
			{Role: "assistant", Content: "Call v.reverse()."},
			{Role: "user", Content: follow}}},
		{ID: "plain", Problem: "What is 2+2?", Benchmark: dataset.BenchmarkCaptured},
	}
}

// recorder plays the models and the judges, keeping every request. An
// answer names the language the conversation was about, so a model that
// missed the context answers differently.
type recorder struct {
	mu   sync.Mutex
	reqs []*fake.Request
}

func (r *recorder) answer(req *fake.Request) fake.Reply {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	last := req.LastUser()
	switch {
	case strings.HasPrefix(last, "You compare two answers"):
		return fake.Reply{Text: "C"}
	case strings.Contains(last, "Gold target:\n"):
		return fake.Reply{Text: "A"}
	}
	about := "no context"
	for _, m := range req.Messages[:len(req.Messages)-1] {
		for _, lang := range []string{"Go", "Rust"} {
			if strings.Contains(m.Text, " "+lang+"?") {
				about = lang
			}
		}
	}
	side := map[string]string{"gemini-2.5-flash": "x", "gpt-4o": "y"}[req.Model]
	return fake.Reply{Text: side + "-side answer (" + about + ")"}
}

func (r *recorder) answerCalls(model string) map[string][]fake.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]fake.Message{}
	for _, q := range r.reqs {
		if q.Model == model && !strings.HasPrefix(q.LastUser(), "You compare") && !strings.Contains(q.LastUser(), "Gold target:") {
			out[q.Messages[1%len(q.Messages)].Text] = q.Messages
		}
	}
	return out
}

func (r *recorder) judgePrompts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.reqs {
		if l := q.LastUser(); strings.HasPrefix(l, "You compare") || strings.Contains(l, "Gold target:") {
			out = append(out, l)
		}
	}
	return out
}

// Both protocols receive the whole conversation in order (the developer
// turn as a system turn); a lone question is one user turn as before.
func TestConversationReachesBothUpstreams(t *testing.T) {
	rec := &recorder{}
	srv := fake.New(t, fake.WithAnswer(rec.answer))
	dir := t.TempDir()
	mustRun(t, pairwiseConfig(t, realRegistry(t, srv), convItems(), dir))

	goConv := []fake.Message{{Role: "system", Text: "Be brief."}, {Role: "user", Text: "How do I reverse a list in Go?"},
		{Role: "assistant", Text: "Use slices.Reverse(s)."}, {Role: "user", Text: "and in Python?"}}
	rustConv := []fake.Message{{Role: "user", Text: "How do I reverse a vector in Rust?"},
		{Role: "assistant", Text: "Call v.reverse()."}, {Role: "user", Text: "and in Python?"}}
	for _, upstream := range []string{"gemini-2.5-flash", "gpt-4o"} { // Gemini and OpenAI wire
		got := rec.answerCalls(upstream)
		if len(got) != 3 || !reflect.DeepEqual(got[goConv[1].Text], goConv) || !reflect.DeepEqual(got["Call v.reverse()."], rustConv) {
			t.Fatalf("%s received %+v", upstream, got)
		}
		if plain := got["What is 2+2?"]; len(plain) != 1 || plain[0] != (fake.Message{Role: "user", Text: "What is 2+2?"}) {
			t.Fatalf("%s: the lone question was sent as %+v", upstream, plain)
		}
	}

	// The judge sees each conversation's context before the question, and
	// nothing naming a model.
	modelWords := regexp.MustCompile(`(?i)\b(flash|pro|grader|gemini[-\w.]*|gpt[-\w.]*|cheap|strong)\b`)
	var sawGo, sawRust, sawPlain int
	for _, p := range rec.judgePrompts() {
		if w := modelWords.FindString(p); w != "" {
			t.Fatalf("judge prompt names %q:\n%s", w, p)
		}
		switch {
		case strings.Contains(p, "<<<CONTEXT\n[developer] Be brief.\n[user] How do I reverse a list in Go?\n[assistant] Use slices.Reverse(s).\nCONTEXT>>>\n\nFinal question:\nand in Python?\n\nAnswer A:"):
			sawGo++
		case strings.Contains(p, "<<<CONTEXT\n[user] How do I reverse a vector in Rust?\n[assistant] Call v.reverse().\nCONTEXT>>>\n\nFinal question:\nand in Python?\n\nAnswer A:"):
			sawRust++
		case strings.Contains(p, "Question:\nWhat is 2+2?\n\nAnswer A:") && !strings.Contains(p, "CONTEXT"):
			sawPlain++
		default:
			t.Fatalf("unexpected judge prompt:\n%s", p)
		}
	}
	if sawGo != 2 || sawRust != 2 || sawPlain != 2 {
		t.Fatalf("judge prompts: go %d, rust %d, plain %d; want both orders of each", sawGo, sawRust, sawPlain)
	}

	// Rows keep the routed text as the query, the answers reflect the
	// context.
	rows, err := ReadDataset(filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Query != "and in Python?" || rows[0].Cheap.Answer != "x-side answer (Go)" || rows[1].Strong.Answer != "y-side answer (Rust)" {
		t.Fatalf("rows %+v / %+v", rows[0], rows[1])
	}
}

// A resume pays only the missing calls; a conversation edited under the
// same id is answered and judged again, never given the old answers.
func TestConversationResume(t *testing.T) {
	rec := &recorder{}
	srv := fake.New(t, fake.WithAnswer(rec.answer))
	reg := realRegistry(t, srv)
	dir := t.TempDir()
	items := convItems()
	if first := mustRun(t, pairwiseConfig(t, reg, items, dir)); first.CallsMade != 12 {
		t.Fatalf("first run made %d calls", first.CallsMade)
	}
	jpath := filepath.Join(dir, JournalFile)
	recs, err := jsonl.Read[CallRecord](jpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if want := map[string]bool{"c-go": true, "c-rust": true}[r.ID]; (r.Conv != "") != want {
			t.Fatalf("journal record %s/%s/%s conv %q", r.ID, r.Kind, r.Side, r.Conv)
		}
	}
	if err := jsonl.WriteAtomic(jpath, recs[:5]); err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().Served
	again := mustRun(t, pairwiseConfig(t, reg, items, dir))
	if made := srv.Stats().Served - before; made != 7 || again.CallsResumed != 5 {
		t.Fatalf("resume paid %d calls, resumed %d; want 7 and 5", made, again.CallsResumed)
	}

	// Same id, another conversation: its two answers and two verdicts are
	// paid again; the other items are resumed whole.
	items[1].Messages[0].Content = "How do I reverse a list in Go?"
	before = srv.Stats().Served
	edited := mustRun(t, pairwiseConfig(t, reg, items, dir))
	if made := srv.Stats().Served - before; made != 4 || edited.CallsResumed != 8 {
		t.Fatalf("edited conversation: paid %d, resumed %d; want 4 and 8", made, edited.CallsResumed)
	}
	rows, err := ReadDataset(filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if rows[1].Cheap.Answer != "x-side answer (Go)" {
		t.Fatalf("the edited conversation kept its old answer: %q", rows[1].Cheap.Answer)
	}
}

func TestReferenceSeesContext(t *testing.T) {
	rec := &recorder{}
	srv := fake.New(t, fake.WithAnswer(rec.answer))
	reg := realRegistry(t, srv)
	p, m, err := reg.Get("pro")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Items: convItems()[:1], Cheap: "flash", Strong: "pro", Label: LabelReference,
		Reference: judge.NewReference(judge.NewLLM(p, m)), JudgeName: "reference:pro", Providers: reg, OutputDir: t.TempDir()}
	mustRun(t, cfg)
	ps := rec.judgePrompts()
	if len(ps) != 1 || !strings.Contains(ps[0], "Question:\nEarlier turns") ||
		!strings.Contains(ps[0], "[assistant] Use slices.Reverse(s).\nCONTEXT>>>\n\nFinal question:\nand in Python?\n\nGold target:\ny-side answer (Go)") {
		t.Fatalf("reference prompts %q", ps)
	}
}

func TestAnswerMessages(t *testing.T) {
	msg := func(role, text string) provider.Message { return provider.Message{Role: role, Content: text} }
	for _, tc := range []struct {
		name string
		it   dataset.Item
		want []provider.Message
	}{
		{"benchmark", dataset.Item{Problem: "q"}, []provider.Message{msg("user", "q")}},
		{"system first, tool result as a user turn, same roles joined",
			dataset.Item{Problem: "q", Messages: []dataset.Message{{Role: "user", Content: "weather?"}, {Role: "assistant", Content: "checking"},
				{Role: "system", Content: "s"}, {Role: "tool", Content: "sunny"}, {Role: "user", Content: "q"}}},
			[]provider.Message{msg("system", "s"), msg("user", "weather?"), msg("assistant", "checking"), msg("user", "[tool result]\nsunny\n\nq")}},
		{"no user turn: the routed text is the question",
			dataset.Item{Problem: "q", Messages: []dataset.Message{{Role: "system", Content: "s"}, {Role: "assistant", Content: "hi"}}},
			[]provider.Message{msg("system", "s"), msg("assistant", "hi"), msg("user", "q")}},
	} {
		if got := answerMessages(tc.it); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// The judge's question is the last user turn, followed by what came after.
	h, q := judgeView(dataset.Item{Problem: "routed", Messages: []dataset.Message{{Role: "user", Content: "a"}, {Role: "user", Content: "b"}, {Role: "tool", Content: "t"}}})
	if len(h) != 1 || h[0] != (judge.Turn{Role: "user", Content: "a"}) || q != "b\n\n[tool] t" {
		t.Fatalf("judgeView: %+v %q", h, q)
	}
	if h, q := judgeView(dataset.Item{Problem: "routed"}); h != nil || q != "routed" {
		t.Fatalf("judgeView without messages: %+v %q", h, q)
	}
}
