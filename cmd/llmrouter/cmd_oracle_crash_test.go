package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/oracle"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// childArgsEnv carries the command line of a re-executed test binary.
const childArgsEnv = "LLMROUTER_TEST_CHILD_ARGS"

// TestOracleCrashChild is not a test: when the crash test re-executes this
// binary with childArgsEnv set, it runs one llmrouter command and exits.
func TestOracleCrashChild(t *testing.T) {
	args := os.Getenv(childArgsEnv)
	if args == "" {
		t.Skip("helper process for TestOracleSurvivesSIGKILL")
	}
	env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: strings.NewReader(""), Getenv: os.Getenv}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), env))
}

// geminiChild re-executes the test binary to run one llmrouter command
// (see TestOracleCrashChild) against the Gemini API at base.
func geminiChild(base string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestOracleCrashChild$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\x1f"),
		"GEMINI_API_KEY=test-key", "GEMINI_BASE_URL="+base, "LLMROUTER_LOG_LEVEL=error")
	return cmd
}

// startChild starts cmd, keeping its stderr for failure messages.
func startChild(t *testing.T, cmd *exec.Cmd) *bytes.Buffer {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &stderr
}

// crashAnswer plays both Gemini models and the judge: the cheap model knows
// two capitals in three, the strong one four in five; the judge compares
// the answer with the gold it is shown.
func crashAnswer(req *fake.Request) fake.Reply {
	q := req.LastUser()
	if m := cliPairRE.FindStringSubmatch(q); m != nil {
		// The pairwise judge: the strong answer wins on even questions in
		// both orders, odd ones are ties.
		var n int
		fmt.Sscanf(m[1], "What is the capital of country %d?", &n)
		if n%2 == 1 {
			return fake.Reply{Text: "C"}
		}
		if strings.HasPrefix(m[2], "Strong answer") {
			return fake.Reply{Text: "A"}
		}
		return fake.Reply{Text: "B"}
	}
	if _, rest, ok := strings.Cut(q, "Gold target:\n"); ok {
		gold, rest, _ := strings.Cut(rest, "\n\nAnswer to grade:\n")
		ans, _, _ := strings.Cut(rest, "\n\nReply with")
		switch {
		case strings.HasSuffix(ans, ": "+gold):
			return fake.Reply{Text: "A"}
		case strings.Contains(ans, "don't know"):
			return fake.Reply{Text: "C"}
		}
		return fake.Reply{Text: "B"}
	}
	var n int
	fmt.Sscanf(q, "What is the capital of country %d?", &n)
	if req.Model == crashLite {
		if n%2 == 0 {
			return fake.Reply{Text: "Lite answer: I don't know"}
		}
		return fake.Reply{Text: fmt.Sprintf("Lite answer: City %d", n)}
	}
	if req.Model == "gemini-2.5-pro" {
		if n%5 == 0 {
			return fake.Reply{Text: "Strong answer: Nowhere", ThinkingTokens: 7}
		}
		return fake.Reply{Text: fmt.Sprintf("Strong answer: City %d", n), ThinkingTokens: 7}
	}
	if n%3 == 0 {
		return fake.Reply{Text: "Cheap answer: I don't know"}
	}
	return fake.Reply{Text: fmt.Sprintf("Cheap answer: City %d", n)}
}

// crashLite is the third model of the N-model crash test.
const crashLite = "gemini-2.5-flash-lite"

type callID struct{ id, kind, side string }

// classify maps a call the fake saw to the oracle call it was.
func classify(c fake.Call) callID {
	q := c.LastUser
	if m := cliPairRE.FindStringSubmatch(q); m != nil {
		side := oracle.SideStrongFirst
		if strings.HasPrefix(m[2], "Cheap answer") {
			side = oracle.SideCheapFirst
		}
		return callID{problemID(m[1]), oracle.KindCompare, side}
	}
	if _, rest, ok := strings.Cut(q, "Question:\n"); ok {
		problem, _, _ := strings.Cut(rest, "\n\nGold target:")
		side := oracle.SideStrong
		switch {
		case strings.Contains(q, "Answer to grade:\nCheap answer"):
			side = oracle.SideCheap
		case strings.Contains(q, "Answer to grade:\nLite answer"):
			side = oracle.SideModel(crashLite)
		}
		return callID{problemID(problem), oracle.KindGrade, side}
	}
	side := oracle.SideCheap
	switch c.Model {
	case "gemini-2.5-pro":
		side = oracle.SideStrong
	case crashLite:
		side = oracle.SideModel(crashLite)
	}
	return callID{problemID(q), oracle.KindAnswer, side}
}

func problemID(problem string) string {
	var n int
	fmt.Sscanf(problem, "What is the capital of country %d?", &n)
	return fmt.Sprintf("c-%02d", n)
}

// persisted reads the journal's complete records, ignoring a torn last line.
func persisted(t *testing.T, path string) map[callID]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[callID]bool{}
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[callID]bool{}
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		var r oracle.CallRecord
		if err := json.Unmarshal(l, &r); err != nil {
			if i == len(lines)-1 {
				continue // torn or empty last line
			}
			t.Fatalf("%s:%d: corrupt journal line %q", path, i+1, l)
		}
		out[callID{r.ID, r.Kind, r.Side}] = true
	}
	return out
}

func TestOracleSurvivesSIGKILL(t *testing.T) { oracleSIGKILL(t, false, false) }

// With a third model, the journal's N-model sides resume as the pair's do.
func TestOracleThreeModelsSurviveSIGKILL(t *testing.T) { oracleSIGKILL(t, true, false) }

// Pairwise labels on captured questions: the judge's two calls per question
// are journaled and never repeated either.
func TestOraclePairwiseSurvivesSIGKILL(t *testing.T) { oracleSIGKILL(t, false, true) }

func oracleSIGKILL(t *testing.T, three, pairwise bool) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	dir := t.TempDir()
	models := 2
	var extra []string
	if three {
		models = 3
		cfg := filepath.Join(dir, "models.yaml")
		if err := os.WriteFile(cfg, []byte("models:\n  "+crashLite+": {provider: gemini, price: {input: 0.1, output: 0.4}}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		extra = []string{"--config", cfg, "--models", "gemini-2.5-flash," + crashLite + ",gemini-2.5-pro"}
	}
	in := filepath.Join(dir, "items.jsonl")
	items := capitals(40)
	if pairwise {
		for n := range items {
			items[n].Answer, items[n].Benchmark = "", dataset.BenchmarkCaptured
		}
	}
	if pairwise {
		extra = []string{"--judge", "pairwise"}
	}
	if err := jsonl.WriteAtomic(in, items); err != nil {
		t.Fatal(err)
	}
	srv, err := fake.Start("", fake.WithAnswer(crashAnswer), fake.WithLatency(40*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	oracleRun := func(out string) *exec.Cmd {
		args := []string{"oracle", "--input-file", in, "--output-dir", out, "--concurrency", "4",
			"--cheap-model", "gemini-2.5-flash", "--strong-model", "gemini-2.5-pro", "--judge-model", "gemini-2.5-flash"}
		return geminiChild(srv.URL, append(args, extra...)...)
	}

	// Reference: one uninterrupted run.
	ref := filepath.Join(dir, "ref")
	if out, err := oracleRun(ref).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	refCalls := len(srv.Calls())
	if refCalls != 2*models*len(items) {
		t.Fatalf("reference run made %d calls, want %d", refCalls, 2*models*len(items))
	}

	out := filepath.Join(dir, "crash")
	journal := filepath.Join(out, oracle.JournalFile)
	rng := rand.New(rand.NewPCG(42, 7))
	seen := refCalls
	kills := 0
	for kill := 0; ; kill++ {
		before := persisted(t, journal)
		cmd := oracleRun(out)
		stderr := startChild(t, cmd)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		finished := false
		if kill < 4 {
			select {
			case err := <-done:
				finished = err == nil
				if err != nil {
					t.Fatalf("run %d failed: %v\n%s", kill, err, stderr.String())
				}
			case <-time.After(time.Duration(200+rng.IntN(500)) * time.Millisecond):
				_ = cmd.Process.Kill() // SIGKILL: no chance to clean up
				<-done
				kills++
			}
		} else if err := <-done; err != nil {
			t.Fatalf("final run failed: %v\n%s", err, stderr.String())
		} else {
			finished = true
		}
		calls := srv.Calls()
		for _, c := range calls[seen:] {
			if c.Model == "" {
				continue // a request body cut off by the kill: never parsed, never billed
			}
			if id := classify(c); before[id] {
				t.Fatalf("run %d repeated call %+v (%s %q), already persisted before it started", kill, id, c.Model, c.LastUser)
			}
		}
		t.Logf("run %d: %d calls, %d persisted before, finished=%v", kill, len(calls)-seen, len(before), finished)
		seen = len(calls)
		if finished {
			break
		}
	}

	if kills < 2 {
		t.Fatalf("only %d runs were killed midway; the test proves nothing", kills)
	}
	rows, err := oracle.ReadDataset(filepath.Join(out, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	refRows, err := oracle.ReadDataset(filepath.Join(ref, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items) {
		t.Fatalf("%d rows, want exactly one per question (%d)", len(rows), len(items))
	}
	for i := range rows {
		// Wall-clock latency is the one field that differs between runs.
		for _, r := range []*oracle.Row{&rows[i], &refRows[i]} {
			r.Cheap.LatencyMS, r.Strong.LatencyMS = 0, 0
			for k := range r.Results {
				r.Results[k].LatencyMS = 0
			}
		}
		if got := len(rows[i].ModelResults()); got != models {
			t.Fatalf("row %d has %d results, want %d", i, got, models)
		}
		a, _ := json.Marshal(rows[i])
		b, _ := json.Marshal(refRows[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("row %d differs from the uninterrupted run:\n%s\n%s", i, a, b)
		}
	}
	if _, err := jsonl.Read[oracle.CallRecord](journal); err != nil {
		t.Fatalf("journal is not valid JSONL after the crashes: %v", err)
	}
	var sum oracle.Summary
	if b, err := os.ReadFile(filepath.Join(out, oracle.SummaryFile)); err != nil || json.Unmarshal(b, &sum) != nil || sum.Rows != len(items) {
		t.Fatalf("summary unreadable or wrong: %v %+v", err, sum)
	}
}
