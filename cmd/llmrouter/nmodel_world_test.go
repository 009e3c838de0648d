package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/solution"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// A synthetic world for the N-model router: three upstream models with
// different strengths by topic, questions whose text reveals the topic, and
// numeric answers the rule judge grades. calc-mini is right on nineteen sums
// in twenty, hist-mini on history, big-pro (about 40 times dearer) on nine questions
// in ten of every topic, geography included, which neither mini knows.
const (
	worldCalc, worldHist, worldBig = "calc-mini", "hist-mini", "big-pro"
	worldKey                       = "world-key"
)

// worldPrices are USD per 1M tokens (input, output), in the test config.
var worldPrices = map[string][2]float64{worldCalc: {0.10, 0.40}, worldHist: {0.15, 0.60}, worldBig: {5, 20}}

// worldTopics and their weights: two questions of arithmetic and two of
// history for each geography question.
var worldTopics = []string{"arithmetic", "history", "arithmetic", "history", "geography"}

var worldSyllables = []string{"vor", "kel", "an", "dra", "mu", "tis", "bel", "or", "nak", "sel", "ri", "gon"}

func worldName(rng *rand.Rand) string {
	n := 2 + rng.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(worldSyllables[rng.IntN(len(worldSyllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func worldHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// worldItems draws n questions; a seed gives the same questions.
func worldItems(n int, seed uint64, prefix string) []dataset.Item {
	rng := rand.New(rand.NewPCG(seed, 7))
	items := make([]dataset.Item, n)
	for i := range items {
		topic := worldTopics[rng.IntN(len(worldTopics))]
		var q string
		switch topic {
		case "arithmetic":
			q = fmt.Sprintf("Arithmetic: what is %d plus %d?", 10+rng.IntN(900), 10+rng.IntN(900))
		case "history":
			q = fmt.Sprintf("History: in which year did the council of %s first meet?", worldName(rng))
		default:
			q = fmt.Sprintf("Geography: how many provinces does the kingdom of %s have?", worldName(rng))
		}
		items[i] = dataset.Item{ID: fmt.Sprintf("%s-%04d", prefix, i), Problem: q, Answer: fmt.Sprint(worldGold(q)), Topic: topic, Benchmark: "custom"}
	}
	return items
}

// worldGold is the true answer, derived from the question alone.
func worldGold(q string) int {
	var a, b int
	if _, err := fmt.Sscanf(q, "Arithmetic: what is %d plus %d?", &a, &b); err == nil {
		return a + b
	}
	if strings.HasPrefix(q, "History:") {
		return 1000 + int(worldHash(q)%900)
	}
	return 3 + int(worldHash(q)%40)
}

// worldRight says whether model answers q correctly.
func worldRight(model, q string) bool {
	switch model {
	case worldCalc:
		// Nineteen sums in twenty; a wrong sum shows a wrong equation,
		// which the cascade's verifier can catch.
		return strings.HasPrefix(q, "Arithmetic:") && worldHash("calc"+q)%20 != 0
	case worldHist:
		return strings.HasPrefix(q, "History:")
	}
	return worldHash("big"+q)%10 != 0
}

// worldAnswer plays the three models over the real OpenAI protocol. Sums
// show their work, so a wrong one carries a wrong equation; big-pro is
// verbose, as dear models are.
func worldAnswer(req *upstreamfake.Request) upstreamfake.Reply {
	q := req.LastUser()
	n := worldGold(q)
	if !worldRight(req.Model, q) {
		n += 1 + int(worldHash(req.Model+q)%7)
	}
	var a, b int
	work := ""
	if _, err := fmt.Sscanf(q, "Arithmetic: what is %d plus %d?", &a, &b); err == nil {
		work = fmt.Sprintf("%d + %d = %d. ", a, b, n)
	}
	if req.Model == worldBig {
		return upstreamfake.Reply{Text: "Let me think about this question carefully, step by step, recalling what I know about the subject and checking each fact before I commit to an answer. " +
			work + fmt.Sprintf("The answer is %d.", n)}
	}
	return upstreamfake.Reply{Text: work + fmt.Sprintf("The answer is %d.", n)}
}

// worldCost is what model's answer to q costs at the world's prices, with
// the fake's token counts (whitespace-separated words).
func worldCost(model, q string) float64 {
	rep := worldAnswer(&upstreamfake.Request{Model: model, Messages: []upstreamfake.Message{{Role: "user", Text: q}}})
	p := worldPrices[model]
	return (p[0]*float64(upstreamfake.CountTokens(q)) + p[1]*float64(upstreamfake.CountTokens(rep.Text))) / 1e6
}

// worldSetup starts the fake upstream and writes the config and the
// train and held-out files.
func worldSetup(t *testing.T) (root, cfg, train, test string, vars map[string]string) {
	t.Helper()
	fake := upstreamfake.New(t, upstreamfake.WithAnswer(worldAnswer), upstreamfake.WithAPIKey(worldKey))
	root = t.TempDir()
	var b strings.Builder
	b.WriteString("models:\n")
	for _, m := range []string{worldCalc, worldHist, worldBig} {
		p := worldPrices[m]
		fmt.Fprintf(&b, "  %s: {provider: openai, base_url: %q, api_key_env: WORLD_KEY, price: {input: %g, output: %g}, context_window: 32000}\n", m, fake.OpenAIBase, p[0], p[1])
	}
	fmt.Fprintf(&b, "defaults:\n  simpleqa: {cheap: %s, strong: %s, judge: rule}\n", worldCalc, worldBig)
	cfg = filepath.Join(root, "models.yaml")
	train, test = filepath.Join(root, "train.jsonl"), filepath.Join(root, "test.jsonl")
	for path, data := range map[string][]byte{cfg: []byte(b.String())} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := jsonl.WriteAtomic(train, worldItems(400, 1, "train")); err != nil {
		t.Fatal(err)
	}
	if err := jsonl.WriteAtomic(test, worldItems(200, 2, "test")); err != nil {
		t.Fatal(err)
	}
	return root, cfg, train, test, map[string]string{"WORLD_KEY": worldKey}
}

func mustRunCmd(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runWithEnv(t, vars, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// The N-model learner end to end on the synthetic world: the real oracle
// --models through the production OpenAI client, then prepare, train,
// calibrate, route, eval and serve on held-out questions.
func TestNModelWorldEndToEnd(t *testing.T) {
	root, cfg, train, test, vars := worldSetup(t)
	gen, tdir, model := filepath.Join(root, "generated"), filepath.Join(root, "training"), filepath.Join(root, "model")
	out := mustRunCmd(t, vars, "oracle", "--input-file", train, "--output-dir", gen, "--config", cfg,
		"--models", strings.Join([]string{worldCalc, worldHist, worldBig}, ","), "--limit", "0")
	for _, m := range []string{worldCalc, worldHist, worldBig} {
		if !strings.Contains(out, m) {
			t.Errorf("oracle summary does not name %s:\n%s", m, out)
		}
	}
	mustRunCmd(t, vars, "prepare", "--oracle-file", filepath.Join(gen, "oracle_dataset.jsonl"), "--output-dir", tdir)
	out = mustRunCmd(t, vars, "train", "--sft-data-path", filepath.Join(tdir, "sft_train.jsonl"),
		"--dpo-data-path", filepath.Join(tdir, "dpo_train.jsonl"), "--output", model, "--config", cfg)
	if !strings.Contains(out, "saved multi model") {
		t.Fatalf("train did not pick the N-model router for three models:\n%s", out)
	}
	// The knob as a budget: the most accurate routing within 30% of
	// big-pro's cost per query (on the training questions).
	var budget float64
	items := worldItems(400, 1, "train")
	for _, it := range items {
		budget += 0.3 * worldCost(worldBig, it.Problem) / float64(len(items))
	}
	out = mustRunCmd(t, vars, "calibrate", "--model-path", model, "--target-cost-per-query", fmt.Sprintf("%.8f", budget))
	t.Logf("calibrate: %s", strings.TrimSpace(out))
	res := worldRoute(t, vars, "route", "--model-path", model, "--test-file", test, "--json", "--end-to-end", "--config", cfg)
	worldCheck(t, res, "route at a cost target", true)
	res = worldRoute(t, vars, "route", "--model-path", model, "--test-file", test, "--json", "--end-to-end", "--cascade", "--config", cfg)
	worldCheck(t, res, "cascade at a cost target", false)
	worldEval(t, vars, model, test, cfg, filepath.Join(root, "results"))
	// The knob as a quality target: 95% of the best single model.
	out = mustRunCmd(t, vars, "calibrate", "--model-path", model, "--target-quality", "0.95")
	t.Logf("calibrate: %s", strings.TrimSpace(out))
	res = worldRoute(t, vars, "route", "--model-path", model, "--test-file", test, "--json")
	worldCheck(t, res, "route at a quality target", false)
	worldServe(t, vars, cfg, model, root)
}

// worldServe runs the gateway as serve builds it (server.Open: the
// provider registry, the saved router) over the fake upstreams, and asks
// it one question of each topic through model "router".
func worldServe(t *testing.T, vars map[string]string, catalog, model, root string) {
	t.Helper()
	models, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(models) + fmt.Sprintf(`router:
  model_path: %q
  candidates: [%s, %s, %s]
policy_mapping:
  cheap_model: %s
  strong_model: %s
  math: {disabled: true}
spend:
  sqlite_path: %q
`, model, worldCalc, worldHist, worldBig, worldCalc, worldBig, filepath.Join(root, "spend.db"))
	cfg, err := server.ParseConfig([]byte(yaml), "router.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, closeFn, err := server.Open(context.Background(), cfg, server.OpenOptions{Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	tests := []struct{ model, query, want string }{
		{"router", "Arithmetic: what is 120 plus 33?", worldCalc},
		{"router", "History: in which year did the council of Vorkel first meet?", worldHist},
		{"router", "Geography: how many provinces does the kingdom of Belnak have?", worldBig},
		{"router-1", "Geography: how many provinces does the kingdom of Belnak have?", worldCalc},
	}
	for _, tc := range tests {
		body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, tc.model, tc.query)
		resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Router-Model"); resp.StatusCode != 200 || got != tc.want || resp.Header.Get("X-Router-Rule") != "learned" {
			t.Errorf("serve %s %q: status %d, model %s (%s), want %s", tc.model, tc.query, resp.StatusCode, got, resp.Header.Get("X-Router-Reason"), tc.want)
		}
	}
}

// worldEval checks eval's N-model section: every model a point, the
// router matching big-pro's accuracy for at most 40% of its cost.
func worldEval(t *testing.T, vars map[string]string, model, test, cfg, out string) {
	t.Helper()
	stdout := mustRunCmd(t, vars, "eval", "--model-path", model, "--test-file", test, "--output-dir", out, "--config", cfg)
	t.Logf("eval:\n%s", stdout)
	cmp := readComparison(t, out)
	s := cmp.Multi
	if s == nil || len(s.Singles) != 3 || len(s.Curve) == 0 || len(cmp.Routers) != 0 {
		t.Fatalf("comparison.json: multi section %+v, %d two-model routers", s, len(cmp.Routers))
	}
	h := s.Headline
	if h.BestSingle != worldBig || !h.CostToMatchBestShare.Valid() || h.CostToMatchBestShare > 0.4 || !(h.AreaVsFrontier > 0) {
		t.Errorf("headline %+v: want big-pro matched at <= 40%% of its cost and a positive area", h)
	}
	if s.Router.Shares[worldCalc] < 0.3 || s.Router.Shares[worldHist] < 0.3 || s.Router.Shares[worldBig] < 0.1 {
		t.Errorf("router shares %v: want every model used", s.Router.Shares)
	}
	if s.Cascade == nil || !(s.Cascade.MeanCalls >= 1) || s.Cascade.Result.Accuracy < s.Router.Accuracy {
		t.Errorf("cost-ordered cascade %+v: want one, at least as accurate as the router (%v)", s.Cascade, s.Router.Accuracy)
	}
	if !(s.Router.Accuracy > s.RandomSameCost.Accuracy) || !(s.Oracle.Accuracy >= s.Router.Accuracy) {
		t.Errorf("router %v, random at the same cost %v, oracle %v", s.Router.Accuracy, s.RandomSameCost.Accuracy, s.Oracle.Accuracy)
	}
}

// worldRouted is one line of route --json --end-to-end.
type worldRouted struct {
	Query      string  `json:"query"`
	Model      string  `json:"model"`
	Answer     string  `json:"answer"`
	CostUSD    float64 `json:"cost_usd"`
	Candidates []struct {
		Model    string  `json:"model"`
		PCorrect float64 `json:"p_correct"`
	} `json:"candidates"`
}

func worldRoute(t *testing.T, vars map[string]string, args ...string) []worldRouted {
	t.Helper()
	out := mustRunCmd(t, vars, args...)
	var res []worldRouted
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r worldRouted
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("route --json line %q: %v", sc.Text(), err)
		}
		if len(r.Candidates) != 3 {
			t.Fatalf("%q: %d candidate estimates, want 3", r.Query, len(r.Candidates))
		}
		res = append(res, r)
	}
	return res
}

// worldCheck asserts that each topic goes to its model and that the router
// keeps 95% of big-pro's accuracy at no more than 40% of its cost.
// With topics unset, only accuracy and cost are checked: a quality target
// may keep some questions on a mini model that is right often enough.
func worldCheck(t *testing.T, res []worldRouted, what string, topics bool) {
	t.Helper()
	want := map[string]string{"Arithmetic": worldCalc, "History": worldHist, "Geography": worldBig}
	hits, total := map[string]int{}, map[string]int{}
	var correct, bigCorrect, cost, bigCost float64
	for _, r := range res {
		topic, _, _ := strings.Cut(r.Query, ":")
		total[topic]++
		if r.Model == want[topic] {
			hits[topic]++
		}
		right, c := worldRight(r.Model, r.Query), worldCost(r.Model, r.Query)
		if r.Answer != "" {
			// End to end: the answer and the cost are the real ones.
			got, ok := solution.FinalNumber(r.Answer)
			right, c = ok && got == fmt.Sprint(worldGold(r.Query)), r.CostUSD
		}
		if right {
			correct++
		}
		if worldRight(worldBig, r.Query) {
			bigCorrect++
		}
		cost += c
		bigCost += worldCost(worldBig, r.Query)
	}
	for topic, m := range want {
		if !topics {
			break
		}
		if share := float64(hits[topic]) / float64(total[topic]); share < 0.9 {
			t.Errorf("%s: %s questions go to %s %.0f%% of the time, want >= 90%%", what, topic, m, 100*share)
		}
	}
	n := float64(len(res))
	acc, bigAcc := correct/n, bigCorrect/n
	t.Logf("%s on %d held-out questions: accuracy %.1f%% (big-pro %.1f%%), cost $%.6f per query (big-pro $%.6f, %.1f%%)",
		what, len(res), 100*acc, 100*bigAcc, cost/n, bigCost/n, 100*cost/bigCost)
	if acc < 0.95*bigAcc {
		t.Errorf("%s: accuracy %.3f < 95%% of big-pro's %.3f", what, acc, bigAcc)
	}
	if cost > 0.4*bigCost {
		t.Errorf("%s: cost $%.6f > 40%% of big-pro's $%.6f", what, cost, bigCost)
	}
}
