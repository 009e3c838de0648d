package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const (
	crashQuestions   = 60
	crashConcurrency = 8
	crashKills       = 5
	cheapModel       = "gemini-2.5-flash"
	strongModel      = "gemini-2.5-pro"
	judgeModel       = "gemini-2.5-flash"
	judgePrefix      = "You grade one answer"
)

// gradingAnswer answers questions as the fake does by default, and grades
// (the judge's rubric prompt) with a letter picked by hashing the prompt,
// so the dataset spreads over all nine cells deterministically.
func gradingAnswer(req *upstreamfake.Request) upstreamfake.Reply {
	last := req.LastUser()
	if !strings.HasPrefix(last, judgePrefix) {
		return upstreamfake.DefaultAnswer(req)
	}
	h := fnv.New32a()
	h.Write([]byte(last))
	return upstreamfake.Reply{Text: string("ABC"[h.Sum32()%3])}
}

func writeCrashItems(t *testing.T, dir string) (string, []dataset.Item) {
	t.Helper()
	items := make([]dataset.Item, crashQuestions)
	for i := range items {
		items[i] = dataset.Item{ID: fmt.Sprintf("q%03d", i), Benchmark: "custom", Topic: []string{"Art", "Science", "Sports"}[i%3],
			Problem: fmt.Sprintf("Who organised event number %d of the crash-test almanac?", i),
			// A prose gold, so the LLM judge grades (a number would be
			// settled by the free rule judge).
			Answer: fmt.Sprintf("the %s society of %c%c", []string{"lantern", "harbour", "orchard"}[i%3], 'A'+i%26, 'a'+i/26)}
	}
	p := filepath.Join(dir, "questions.jsonl")
	if err := jsonl.WriteAtomic(p, items); err != nil {
		t.Fatal(err)
	}
	return p, items
}

func oracleArgs(input, out string) []string {
	return []string{"oracle", "--benchmark", "custom", "--input-file", input, "--output-dir", out,
		"--cheap-model", cheapModel, "--strong-model", strongModel, "--judge-model", judgeModel,
		"--concurrency", fmt.Sprint(crashConcurrency), "--batch-size", "4", "--limit", "0"}
}

func oracleCmd(t *testing.T, fake *upstreamfake.Server, input, out string) *exec.Cmd {
	cmd := exec.Command(llmrouterBin(t), oracleArgs(input, out)...)
	cmd.Env = subprocEnv(map[string]string{"GEMINI_BASE_URL": fake.URL, "GEMINI_API_KEY": "test-key"})
	return cmd
}

// runOracleToEnd runs the oracle to completion and fails the test unless it
// exits 0.
func runOracleToEnd(t *testing.T, fake *upstreamfake.Server, input, out string) string {
	t.Helper()
	cmd := oracleCmd(t, fake, input, out)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		t.Fatalf("oracle: %v\n%s", err, buf.String())
	}
	return buf.String()
}

// journalRecords reads the resume journal as the next run will, tolerating
// only a torn last line (what a kill mid-write leaves).
func journalRecords(t *testing.T, out string) []oracle.CallRecord {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, oracle.JournalFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var recs []oracle.CallRecord
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, l := range lines {
		if len(l) == 0 {
			continue
		}
		var r oracle.CallRecord
		if err := json.Unmarshal(l, &r); err != nil {
			if i == len(lines)-1 && !bytes.HasSuffix(l, []byte("\n")) {
				continue // torn last line: the resume drops and redoes it
			}
			t.Fatalf("journal line %d: %v", i+1, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

// persistedPrompts tells whether an upstream call re-asks something the
// journal already holds: the same question to the same answering model, or
// the judge's prompt for an answer whose grade is already persisted.
type persistedPrompts struct {
	answers map[string]bool // model + "\x00" + question
	grades  []gradeSig
}

type gradeSig struct{ problem, answer string }

func newPersisted(recs []oracle.CallRecord, items map[string]dataset.Item) persistedPrompts {
	p := persistedPrompts{answers: map[string]bool{}}
	answerText := map[string]string{}
	for _, r := range recs {
		if r.Kind == oracle.KindAnswer {
			answerText[r.ID+"/"+r.Side] = r.Result.Text
			p.answers[r.Model+"\x00"+items[r.ID].Problem] = true
		}
	}
	for _, r := range recs {
		if r.Kind == oracle.KindGrade {
			p.grades = append(p.grades, gradeSig{items[r.ID].Problem, answerText[r.ID+"/"+r.Side]})
		}
	}
	return p
}

func (p persistedPrompts) covers(c upstreamfake.Call) bool {
	if !strings.HasPrefix(c.LastUser, judgePrefix) {
		return p.answers[c.Model+"\x00"+c.LastUser]
	}
	for _, g := range p.grades {
		if g.answer != "" && strings.Contains(c.LastUser, g.problem) && strings.Contains(c.LastUser, g.answer) {
			return true
		}
	}
	return false
}

// TestOracleCrashResume SIGKILLs `llmrouter oracle` at seeded random points
// of its journal, resumes it each time, and checks the end result against an
// uninterrupted run: one row per question, valid JSONL everywhere, no
// persisted call ever sent again, the same dataset and exact token totals.
func TestOracleCrashResume(t *testing.T) {
	dir := t.TempDir()
	input, items := writeCrashItems(t, dir)
	byID := map[string]dataset.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	opts := []upstreamfake.Option{upstreamfake.WithLatency(10 * time.Millisecond), upstreamfake.WithAnswer(gradingAnswer),
		upstreamfake.WithAPIKey("test-key")}

	refFake := upstreamfake.New(t, opts...)
	refOut := filepath.Join(dir, "reference")
	runOracleToEnd(t, refFake, input, refOut)
	waitIdle(t, refFake)
	refRows := readRows(t, refOut)
	refSum := readSummary(t, refOut)
	assertTokensMatch(t, refSum, refFake.Stats().Usage)
	totalCalls := refFake.Stats().Served

	fake := upstreamfake.New(t, opts...)
	out := filepath.Join(dir, "crashed")
	rng := rand.New(rand.NewPCG(20240601, 6))
	targets := killTargets(rng, totalCalls)
	for k, target := range targets {
		before := len(fake.Calls())
		persisted := newPersisted(journalRecords(t, out), byID)
		exited := killAt(t, oracleCmd(t, fake, input, out), filepath.Join(out, oracle.JournalFile), target, rng)
		waitIdle(t, fake)
		checkNoResend(t, fmt.Sprintf("run %d", k+1), fake.Calls()[before:], persisted)
		t.Logf("kill %d: target %d journal lines, journal now %d, exited before kill: %v", k+1, target, len(journalRecords(t, out)), exited)
	}
	before := len(fake.Calls())
	persisted := newPersisted(journalRecords(t, out), byID)
	runOracleToEnd(t, fake, input, out)
	waitIdle(t, fake)
	checkNoResend(t, "final run", fake.Calls()[before:], persisted)

	rows := readRows(t, out)
	if len(rows) != crashQuestions {
		t.Fatalf("%d rows, want one per question (%d)", len(rows), crashQuestions)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.ID] {
			t.Errorf("row %s appears twice", r.ID)
		}
		seen[r.ID] = true
	}
	a, b := stripLatency(rows), stripLatency(refRows)
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("row %d differs from the uninterrupted run:\n got %+v\nwant %+v", i, a[i], b[i])
			break
		}
	}
	sum := readSummary(t, out)
	if sum.Cheap.TokenTotals != refSum.Cheap.TokenTotals || sum.Strong.TokenTotals != refSum.Strong.TokenTotals ||
		sum.Judge.TokenTotals != refSum.Judge.TokenTotals || sum.TotalCost != refSum.TotalCost {
		t.Errorf("summary totals differ from the uninterrupted run:\n got %+v %+v %+v $%v\nwant %+v %+v %+v $%v",
			sum.Cheap.TokenTotals, sum.Strong.TokenTotals, sum.Judge.TokenTotals, sum.TotalCost,
			refSum.Cheap.TokenTotals, refSum.Strong.TokenTotals, refSum.Judge.TokenTotals, refSum.TotalCost)
	}
	checkAllFilesValid(t, out)
	checkJournalUnique(t, out)

	// Only calls not yet persisted at a kill may be repeated, never one
	// that had been (checked above): those in flight (at most concurrency)
	// and those answered while waiting for the journal's group commit,
	// which frees their slots for as many more. A slow fsync on a loaded
	// machine widens the second set, so the bound allows both in full.
	st := fake.Stats()
	repeats := 0
	for _, n := range fake.Repeats() {
		repeats += n - 1
	}
	if bound := 2 * crashConcurrency * crashKills; repeats > bound {
		t.Errorf("%d repeated upstream answers, more than the %d unpersisted calls %d kills can lose", repeats, bound, crashKills)
	}
	if st.Served != totalCalls+repeats {
		t.Errorf("fake served %d answers, want %d distinct + %d repeats", st.Served, totalCalls, repeats)
	}
	t.Logf("%d distinct calls, %d served, %d repeats of calls in flight at a kill", totalCalls, st.Served, repeats)
}

// killTargets picks journal sizes to kill at: seeded, increasing, spread
// over the run, the last one at the very end (during the final writes).
func killTargets(rng *rand.Rand, total int) []int {
	t := make([]int, 0, crashKills)
	for range crashKills - 1 {
		t = append(t, 1+rng.IntN(total-1))
	}
	sort.Ints(t)
	return append(t, total)
}

// killAt starts cmd, waits until the journal holds target lines (plus a
// random sub-millisecond-to-2ms delay) and SIGKILLs it. It reports whether
// the process had already exited on its own.
func killAt(t *testing.T, cmd *exec.Cmd, journal string, target int, rng *rand.Rand) bool {
	t.Helper()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for countLines(journal) < target {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("oracle failed before the kill: %v\n%s", err, buf.String())
			}
			return true
		case <-deadline:
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("journal never reached %d lines\n%s", target, buf.String())
		case <-time.After(200 * time.Microsecond):
		}
	}
	time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	if ee, ok := err.(*exec.ExitError); ok && !ee.Success() {
		return false
	}
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, buf.String())
	}
	return true
}

func checkNoResend(t *testing.T, run string, calls []upstreamfake.Call, p persistedPrompts) {
	t.Helper()
	for _, c := range calls {
		if p.covers(c) {
			t.Errorf("%s re-sent a call whose result was already persisted: model %s, prompt %.80q", run, c.Model, c.LastUser)
		}
	}
}

func waitIdle(t *testing.T, f *upstreamfake.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func readRows(t *testing.T, out string) []oracle.Row {
	t.Helper()
	rows, err := oracle.ReadDataset(filepath.Join(out, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readSummary(t *testing.T, out string) oracle.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, oracle.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s oracle.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", oracle.SummaryFile, err)
	}
	return s
}

// assertTokensMatch checks that the summary's token totals add up to what
// the fake reported in the answers it served.
func assertTokensMatch(t *testing.T, s oracle.Summary, u upstreamfake.Usage) {
	t.Helper()
	in := s.Cheap.InputTokens + s.Strong.InputTokens + s.Judge.InputTokens
	outTok := s.Cheap.OutputTokens + s.Strong.OutputTokens + s.Judge.OutputTokens
	think := s.Cheap.ThinkingTokens + s.Strong.ThinkingTokens + s.Judge.ThinkingTokens
	if int64(in) != u.Input || int64(outTok) != u.Output || int64(think) != u.Thinking {
		t.Errorf("summary tokens in/out/thinking %d/%d/%d, fake reported %d/%d/%d", in, outTok, think, u.Input, u.Output, u.Thinking)
	}
}

func stripLatency(rows []oracle.Row) []oracle.Row {
	out := append([]oracle.Row(nil), rows...)
	for i := range out {
		out[i].Cheap.LatencyMS, out[i].Strong.LatencyMS = 0, 0
	}
	return out
}

// checkAllFilesValid parses every file the oracle left in out: JSONL line by
// line, JSON whole, and nothing else (no stray temp files).
func checkAllFilesValid(t *testing.T, out string) {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(out, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(e.Name(), ".jsonl") && !strings.HasPrefix(e.Name(), "."):
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 64<<20)
			for n := 1; sc.Scan(); n++ {
				if !json.Valid(sc.Bytes()) {
					t.Errorf("%s:%d: not valid JSON", e.Name(), n)
				}
			}
			if len(data) > 0 && data[len(data)-1] != '\n' {
				t.Errorf("%s: last line has no newline", e.Name())
			}
		case strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), "."):
			if !json.Valid(data) {
				t.Errorf("%s: not valid JSON", e.Name())
			}
		default:
			t.Errorf("unexpected file %s left in the output dir (%d bytes)", e.Name(), len(data))
		}
	}
}

// checkJournalUnique fails if any call is journaled twice: each record is
// one paid call, so a duplicate means a call was paid for twice.
func checkJournalUnique(t *testing.T, out string) {
	t.Helper()
	seen := map[string]int{}
	for i, r := range journalRecords(t, out) {
		k := r.ID + "/" + r.Kind + "/" + r.Side
		if j, dup := seen[k]; dup {
			t.Errorf("journal records %s twice (lines %d and %d)", k, j+1, i+1)
		}
		seen[k] = i
	}
}
