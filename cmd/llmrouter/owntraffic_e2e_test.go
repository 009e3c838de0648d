package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/syncbuf"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// A team's traffic in two kinds: lookups the cheap model answers as well
// as the strong one, and derivations only the strong one gets right.
func trafficQuery(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("What is the capital of country %d?", i)
	}
	return fmt.Sprintf("Derive step by step a closed form for the recurrence a(n) = %d a(n-1) + n and prove it by induction.", i)
}

var pairAnswersRE = regexp.MustCompile(`(?s)Answer A:\n(.*)\n\nAnswer B:\n(.*)\n\nReply with`)

// ownTrafficAnswer plays both models and the pairwise judge. The judge
// only ever sees two anonymous answers and prefers the one that solved the
// question; it cannot tell which model wrote which.
func ownTrafficAnswer(req *fake.Request) fake.Reply {
	q := req.LastUser()
	if m := pairAnswersRE.FindStringSubmatch(q); m != nil {
		a, b := strings.Contains(m[1], "solved"), strings.Contains(m[2], "solved")
		switch {
		case a && b:
			return fake.Reply{Text: "C"}
		case a:
			return fake.Reply{Text: "A"}
		case b:
			return fake.Reply{Text: "B"}
		}
		return fake.Reply{Text: "D"}
	}
	hard := strings.HasPrefix(q, "Derive")
	if req.Model == "gemini-2.5-flash" && hard {
		return fake.Reply{Text: "I am not sure how to do this one."}
	}
	return fake.Reply{Text: "Here it is, solved: " + q[:min(len(q), 30)]}
}

// TestOwnTrafficLoop is the loop a team runs on its own traffic, end to
// end on protocol fakes: requests through serve with capture on; the
// captured file labelled by `oracle --judge pairwise --batch`, killed with
// SIGKILL while its first jobs run and then resumed; `prepare` and `train`
// on those labels alone; a SIGHUP; and the new model serving, as
// /metrics' version and X-Router-Score show.
func TestOwnTrafficLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGHUP on Windows")
	}
	guard := make(chan os.Signal, 1) // a stray SIGHUP must not end the test binary
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	online, err := fake.Start("", fake.WithAnswer(ownTrafficAnswer))
	if err != nil {
		t.Fatal(err)
	}
	defer online.Close()
	tmp := t.TempDir()
	serving := filepath.Join(tmp, "router_final")
	if err := os.CopyFS(serving, os.DirFS(trainSmallModel(t))); err != nil {
		t.Fatal(err)
	}
	captured := filepath.Join(tmp, "captured.jsonl")
	base, logs, stop := serveOwnTraffic(t, tmp, serving, captured, online.URL)
	defer stop()

	// 1. Traffic through serve, captured.
	const n = 40
	oldScore := map[bool]float64{}
	for i := range n {
		score, _ := routeThrough(t, base, trafficQuery(i))
		oldScore[i%2 == 1] = score
	}
	waitFor(t, logs, func() bool { return countLines(captured) >= n }, "the captured rows to be written")
	oldVersion := servedVersion(t, base)

	// 2. Label without gold at batch prices; SIGKILL while jobs run.
	bs, err := fake.StartBatch("", fake.WithBatchAnswer(ownTrafficAnswer),
		fake.WithBatchPlan(func(int) fake.BatchPlan { return fake.BatchPlan{Hold: true, Polls: 2} }))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	out := filepath.Join(tmp, "labels")
	labelOwnTraffic(t, bs, captured, out)
	rows, err := oracle.ReadDataset(filepath.Join(out, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]int{}
	for _, r := range rows {
		policies[r.Policy]++
	}
	if len(rows) != n || policies["Standard_Query"] != n/2 || policies["Complex_Query"] != n/2 {
		t.Fatalf("%d rows labelled %v, want %d split evenly between Standard and Complex", len(rows), policies, n)
	}

	// 3. Train on the captured traffic alone, into the serving directory.
	training := filepath.Join(tmp, "training")
	if code, _, errOut := runRouterCmd(t, nil, "prepare", "--oracle-file", filepath.Join(out, oracle.DatasetFile), "--output-dir", training); code != 0 {
		t.Fatalf("prepare exit %d: %s", code, errOut)
	}
	if code, _, errOut := runRouterCmd(t, nil, "train", "--sft-data-path", filepath.Join(training, "sft_train.jsonl"), "--dpo-data-path", "",
		"--dpo-epochs", "0", "--hash-bits", "12", "--output", serving); code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	m, err := router.Load(serving)
	if err != nil {
		t.Fatal(err)
	}
	newVersion := m.Meta.WeightsSHA256[:12]

	// 4. SIGHUP: the new model serves.
	if err := hangup(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, logs, func() bool { return servedVersion(t, base) == newVersion }, "the reload to serve "+newVersion)
	if oldVersion == newVersion {
		t.Fatal("the retrained model has the old version")
	}
	easy, hdr := routeThrough(t, base, "What is the capital of country 1001?")
	hard, _ := routeThrough(t, base, trafficQuery(1001))
	if hdr.Get("X-Router-Version") != newVersion {
		t.Errorf("X-Router-Version %q, want %q", hdr.Get("X-Router-Version"), newVersion)
	}
	wantEasy, _ := m.Route(context.Background(), "What is the capital of country 1001?")
	if easy != round4(wantEasy.Score) {
		t.Errorf("X-Router-Score %v after the reload, want the new model's %v", easy, round4(wantEasy.Score))
	}
	if !(hard > m.Threshold() && easy < m.Threshold()) {
		t.Errorf("after retraining on the team's traffic: derivation scores %.3f, lookup %.3f, threshold %.3f; want them on either side",
			hard, easy, m.Threshold())
	}
	t.Logf("before: lookup %.3f derivation %.3f (version %s); after: lookup %.3f derivation %.3f (version %s)",
		oldScore[false], oldScore[true], oldVersion, easy, hard, newVersion)
}

func round4(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return v
}

// serveOwnTraffic runs serve in-process with capture on, in front of the
// online fake; stop shuts it down and checks it exited cleanly.
func serveOwnTraffic(t *testing.T, tmp, modelPath, captured, upstream string) (string, *syncbuf.Buffer, func()) {
	t.Helper()
	cfgPath := filepath.Join(tmp, "router.yaml")
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
log_format: json
log_flush_interval: 0s
models:
  gemini-2.5-flash: {provider: gemini, base_url: %[1]s, api_key_env: GEMINI_API_KEY, price: {input: 0.30, output: 2.50}}
  gemini-2.5-pro: {provider: gemini, base_url: %[1]s, api_key_env: GEMINI_API_KEY, price: {input: 1.25, output: 10.00}}
policy_mapping: {mode: static, cheap_model: gemini-2.5-flash, strong_model: gemini-2.5-pro}
router: {model_path: %[2]s}
capture: {path: %[3]s, flush_interval: 20ms}
spend: {sqlite_path: %[4]s}
`, upstream, modelPath, captured, filepath.Join(tmp, "spend.db"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"GEMINI_API_KEY": "test-key"}[k] }
	return serveInProcess(t, cfgPath, getenv)
}

// serveInProcess runs `serve --config cfgPath` in-process until stop, which
// checks that it shut down cleanly; base is the address it listens on.
func serveInProcess(t *testing.T, cfgPath string, getenv func(string) string) (base string, logs *syncbuf.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncbuf.Buffer{}
	env := &Env{Stdout: io.Discard, Stderr: logs, Stdin: strings.NewReader(""), Getenv: getenv}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfgPath}, env) }()
	addrRE := regexp.MustCompile(`"msg":"llmrouter gateway listening","addr":"([^"]+)"`)
	waitFor(t, logs, func() bool {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
		return base != ""
	}, "serve to listen")
	stop = func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit %d:\n%s", code, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}
	return base, logs, stop
}

// routeThrough sends one "router" request and returns its X-Router-Score.
func routeThrough(t *testing.T, base, query string) (float64, http.Header) {
	t.Helper()
	body := fmt.Sprintf(`{"model":"router","messages":[{"role":"user","content":%q}]}`, query)
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("router request: %d %s", resp.StatusCode, b)
	}
	score, err := strconv.ParseFloat(resp.Header.Get("X-Router-Score"), 64)
	if err != nil {
		t.Fatalf("X-Router-Score: %v (headers %v)", err, resp.Header)
	}
	return score, resp.Header
}

// labelOwnTraffic runs `oracle --judge pairwise --batch` on the captured
// file in a child process, kills it with SIGKILL once its answer jobs are
// submitted and being polled, then reruns it to the end, and checks no
// request was submitted in two jobs.
func labelOwnTraffic(t *testing.T, bs *fake.BatchServer, captured, out string) {
	t.Helper()
	oracleCmd := func() *exec.Cmd {
		args := []string{"oracle", "--input-file", captured, "--judge", "pairwise", "--batch", "--batch-window", "300ms", "--batch-poll", "20ms",
			"--cheap-model", "gemini-2.5-flash", "--strong-model", "gemini-2.5-pro", "--output-dir", out}
		return geminiChild(bs.URL, args...)
	}
	journal := filepath.Join(out, oracle.BatchJournalFile)
	cmd := oracleCmd()
	stderr := startChild(t, cmd)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(journal)
		if bytes.Count(b, []byte(`"event":"submitted"`)) >= 2 && bs.Polls() >= 2 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("answer jobs never submitted and polled: %+v\n%s", bs.Jobs(), stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	bs.Release()
	if b, err := oracleCmd().CombinedOutput(); err != nil {
		t.Fatalf("resumed oracle: %v\n%s", err, b)
	}
	for k, c := range bs.Submissions() {
		if c != 1 {
			t.Errorf("request %s was submitted in %d jobs: paid twice", k, c)
		}
	}
	if len(bs.Jobs()) == 0 || !readSummary(t, out).Batch {
		t.Fatalf("no batch jobs, or the summary does not say batch: %+v", bs.Jobs())
	}
}
