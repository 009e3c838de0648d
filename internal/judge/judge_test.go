package judge

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// fakeProvider is a function-field fake that records every request.
type fakeProvider struct {
	mu       sync.Mutex
	requests []*provider.Request
	complete func(ctx context.Context, req *provider.Request) (*provider.Response, error)
}

var _ provider.Provider = (*fakeProvider)(nil)

func (f *fakeProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	return f.complete(ctx, req)
}

func (f *fakeProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("not used")
}

func reply(text string) func(context.Context, *provider.Request) (*provider.Response, error) {
	return func(context.Context, *provider.Request) (*provider.Response, error) {
		return &provider.Response{Text: text, Usage: provider.Usage{InputTokens: 1000, OutputTokens: 1, ThinkingTokens: 99}, Latency: time.Millisecond}, nil
	}
}

func TestLLMJudgeIsBlind(t *testing.T) {
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	fp := &fakeProvider{complete: reply("A")}
	jm, err := cat.Lookup("gemini-2.5-flash")
	if err != nil {
		t.Fatal(err)
	}
	// The judge model's own id is necessarily on the request's Model field;
	// what must never appear is any model name in the content it reads.
	j := NewLLM(fp, jm)
	q := Question{Problem: "Who painted the ceiling of the Sistine Chapel?", Gold: "Michelangelo", Benchmark: "simpleqa"}
	v, err := j.Grade(context.Background(), q, "It was Michelangelo Buonarroti.")
	if err != nil {
		t.Fatal(err)
	}
	if v.Grade != grade.Correct || v.Method != MethodLLM {
		t.Fatalf("verdict = %+v", v)
	}
	if len(fp.requests) != 1 {
		t.Fatalf("requests = %d", len(fp.requests))
	}
	body, _ := json.Marshal(fp.requests[0].Messages)
	lower := strings.ToLower(string(body))
	for name, m := range cat.Models {
		for _, s := range []string{name, m.UpstreamModel, "gemini", "mixtral", "gpt-4", "cheap", "strong"} {
			if s != "" && strings.Contains(lower, strings.ToLower(s)) {
				t.Errorf("judge request mentions %q: %s", s, body)
			}
		}
	}
	for _, want := range []string{q.Problem, q.Gold, "Michelangelo Buonarroti"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("judge request lacks %q", want)
		}
	}
}

func TestQuestionHasNoModelIdentity(t *testing.T) {
	// Blindness by construction: if someone adds a field here, they must
	// justify it against this test.
	var names []string
	rt := reflect.TypeOf(Question{})
	for i := 0; i < rt.NumField(); i++ {
		names = append(names, rt.Field(i).Name)
	}
	if got := strings.Join(names, ","); got != "Problem,Gold,Benchmark" {
		t.Fatalf("Question fields = %s", got)
	}
}

func TestLLMJudgeCostAndError(t *testing.T) {
	m := catalog.Model{UpstreamModel: "judge-x", Price: catalog.Price{Input: 1, Output: 10}}
	v, err := NewLLM(&fakeProvider{complete: reply("B")}, m).Grade(context.Background(), Question{Problem: "q", Gold: "g"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	// 1000 in at $1/M + (1+99) billed out at $10/M.
	if want := 0.001 + 0.001; v.Cost < want-1e-12 || v.Cost > want+1e-12 || v.Grade != grade.Incorrect {
		t.Fatalf("verdict = %+v, want cost %v", v, want)
	}
	boom := errors.New("boom")
	_, err = NewLLM(&fakeProvider{complete: func(context.Context, *provider.Request) (*provider.Response, error) { return nil, boom }}, m).
		Grade(context.Background(), Question{}, "a")
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseLetterGrade(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bare A", "A", grade.Correct},
		{"bare B", "B", grade.Incorrect},
		{"bare C", "C", grade.NotAttempted},
		{"spaces", "  B\n", grade.Incorrect},
		{"parenthesised", "(A)", grade.Correct},
		{"labelled", "Grade: B", grade.Incorrect},
		{"letter with word", "A) CORRECT", grade.Correct},
		{"word only", "INCORRECT", grade.Incorrect},
		{"word correct", "correct", grade.Correct},
		{"word not attempted", "NOT_ATTEMPTED", grade.NotAttempted},
		{"empty", "", grade.NotAttempted},
		{"garbage", "I cannot determine this.", grade.NotAttempted},
		{"letter D is not a grade", "D", grade.NotAttempted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseLetterGrade(tc.in); got != tc.want {
				t.Fatalf("ParseLetterGrade(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestChoiceJudge(t *testing.T) {
	tests := []struct{ name, gold, answer, want, method string }{
		{"bare letter", "B", "B", grade.Correct, MethodChoice},
		{"letter dot", "B", "B. 4", grade.Correct, MethodChoice},
		{"parens", "(C)", "(C) 24", grade.Correct, MethodChoice},
		{"answer is", "D", "Let me think. The answer is D.", grade.Correct, MethodChoice},
		{"answer colon", "A", "Reasoning...\nAnswer: (A)", grade.Correct, MethodChoice},
		{"last answer wins", "C", "The answer is B. Wait, no: the answer is C.", grade.Correct, MethodChoice},
		{"wrong letter", "A", "B", grade.Incorrect, MethodChoice},
		{"article not a choice", "A", "A cat is an animal.", grade.NotAttempted, MethodChoice},
		{"no letter", "A", "I don't know", grade.NotAttempted, MethodChoice},
		{"lowercase gold", "b", "B", grade.Correct, MethodChoice},
		{"gold not a letter", "Paris", "A", grade.NotAttempted, MethodNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Choice{}.Grade(context.Background(), Question{Gold: tc.gold}, tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if v.Grade != tc.want || v.Method != tc.method {
				t.Fatalf("got %+v, want %s/%s", v, tc.want, tc.method)
			}
		})
	}
}

func TestNumericJudge(t *testing.T) {
	tests := []struct{ name, gold, answer, want string }{
		{"gsm8k marker", "18", "16 - 3 - 4 = 9 eggs; 9 * 2 = <<9*2=18>>18\n#### 18", grade.Correct},
		{"commas and dollars", "1200", "The total is $1,200.", grade.Correct},
		{"trailing .0", "18", "So she makes 18.0 dollars.", grade.Correct},
		{"gold with dollar", "$1,200", "#### 1200", grade.Correct},
		{"decimal gold", "2.5", "It takes 2.50 bolts.", grade.Correct},
		{"wrong", "18", "#### 19", grade.Incorrect},
		{"no number", "18", "I am not sure.", grade.NotAttempted},
		{"negative", "-3", "The answer is -3.", grade.Correct},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Numeric{}.Grade(context.Background(), Question{Gold: tc.gold}, tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if v.Grade != tc.want {
				t.Fatalf("got %+v, want %s", v, tc.want)
			}
		})
	}
	v, _ := Numeric{}.Grade(context.Background(), Question{Gold: "Paris"}, "12")
	if v.Decided() {
		t.Fatalf("non-numeric gold decided: %+v", v)
	}
}

func TestRuleComposite(t *testing.T) {
	table := NewRecordedTable([]dataset.RecordedItem{
		{Benchmark: "gsm8k", Prompt: "How many  eggs?", CheapCorrect: false, StrongCorrect: true,
			CheapResponse: " She has 9 eggs.\n#### 18", StrongResponse: "She makes $18."},
		{Benchmark: "gsm8k", Prompt: "Same text twice?", CheapCorrect: true, StrongCorrect: false,
			CheapResponse: "#### 4", StrongResponse: "#### 4"},
		{Benchmark: "mmlu", Prompt: "Q?\nA. x\nB. y\nAnswer:", CheapCorrect: true},
	})
	if table.Len() != 2 {
		t.Fatalf("table has %d entries, want 2 (conflict dropped, MMLU skipped)", table.Len())
	}
	j := Rule(table)
	tests := []struct {
		name   string
		q      Question
		answer string
		grade  string
		method string
	}{
		{"replayed outcome", Question{Problem: "Q?", Benchmark: "mmlu"}, "(recorded outcome) CORRECT", grade.Correct, MethodRecorded},
		// The recorded grade beats the final-number check: this response's
		// final number matches the gold but it was recorded as wrong.
		{"recorded response", Question{Problem: "How many eggs?", Gold: "18", Benchmark: "gsm8k"}, "She has 9 eggs.\n#### 18", grade.Incorrect, MethodRecorded},
		{"recorded response no gold", Question{Problem: "How many eggs?", Benchmark: "gsm8k"}, "She makes $18.", grade.Correct, MethodRecorded},
		{"conflicting text undecided", Question{Problem: "Same text twice?", Benchmark: "gsm8k"}, "#### 4", grade.NotAttempted, MethodNone},
		{"new response numeric", Question{Problem: "How many eggs?", Gold: "18", Benchmark: "gsm8k"}, "#### 18", grade.Correct, MethodNumeric},
		{"letter gold", Question{Problem: "x", Gold: "C", Benchmark: "mmlu"}, "C", grade.Correct, MethodChoice},
		{"simpleqa numeric gold not mechanical", Question{Problem: "Year?", Gold: "1947", Benchmark: "simpleqa"}, "1947", grade.NotAttempted, MethodNone},
		{"simpleqa letter gold not mechanical", Question{Problem: "Which vitamin?", Gold: "A", Benchmark: "simpleqa"}, "Vitamin A", grade.NotAttempted, MethodNone},
		{"free text undecided", Question{Problem: "Who?", Gold: "Paris"}, "Paris", grade.NotAttempted, MethodNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := j.Grade(context.Background(), tc.q, tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if v.Grade != tc.grade || v.Method != tc.method {
				t.Fatalf("got %+v, want %s/%s", v, tc.grade, tc.method)
			}
		})
	}
	if !IsLocal(j) {
		t.Fatal("rule judge should be local")
	}
}

func TestChainFallsBackOnlyWhenUndecided(t *testing.T) {
	fp := &fakeProvider{complete: reply("A")}
	j := Chain(Rule(nil), NewLLM(fp, catalog.Model{UpstreamModel: "j"}))
	if IsLocal(j) {
		t.Fatal("chain with an LLM is not local")
	}
	v, _ := j.Grade(context.Background(), Question{Gold: "B"}, "A")
	if v.Grade != grade.Incorrect || v.Method != MethodChoice || len(fp.requests) != 0 {
		t.Fatalf("rule should decide: %+v, %d requests", v, len(fp.requests))
	}
	v, _ = j.Grade(context.Background(), Question{Problem: "Who?", Gold: "Paris"}, "Paris, France")
	if v.Grade != grade.Correct || v.Method != MethodLLM || len(fp.requests) != 1 {
		t.Fatalf("LLM should decide: %+v, %d requests", v, len(fp.requests))
	}
}

func TestRecordedTableOnEmbeddedData(t *testing.T) {
	items, err := dataset.Recorded()
	if err != nil {
		t.Skipf("embedded recorded data unavailable: %v", err)
	}
	table := NewRecordedTable(items)
	j := Rule(table)
	checked := 0
	for _, it := range items {
		if it.Benchmark != "gsm8k" || it.StrongResponse == "" || checked >= 200 {
			continue
		}
		v, err := j.Grade(context.Background(), Question{Problem: it.Prompt, Gold: it.Gold, Benchmark: "gsm8k"}, it.StrongResponse)
		if err != nil {
			t.Fatal(err)
		}
		if want := gradeOf(it.StrongCorrect); v.Grade != want && v.Method == MethodRecorded {
			t.Fatalf("%s: recorded grade %s, want %s", it.ID, v.Grade, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no GSM8K responses checked")
	}
}
