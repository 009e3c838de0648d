package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// procOutput collects everything a subprocess printed.
type procOutput struct {
	mu  sync.Mutex
	all bytes.Buffer
}

func (p *procOutput) add(b []byte) {
	p.mu.Lock()
	p.all.Write(b)
	p.all.WriteByte('\n')
	p.mu.Unlock()
}

// runLogged runs the binary to completion with env and stdin, recording
// its stdout and stderr; the exit status is returned, not checked.
func runLogged(t *testing.T, out *procOutput, env map[string]string, stdin string, args ...string) int {
	t.Helper()
	cmd := exec.Command(llmrouterBin(t), args...)
	cmd.Env = subprocEnv(env)
	cmd.Stdin = strings.NewReader(stdin)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	out.add(buf.Bytes())
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return 0
}

// TestSecretsNeverWritten runs a realistic session with debug logging, one
// upstream key and one gateway key: oracle runs (one clean, one that the
// upstream refuses, one with the deprecated key flag), the gateway serving
// good, bad and failing requests, plain and streamed, and the usage report.
// Then every byte the processes printed and every file they wrote is
// scanned for either key.
func TestSecretsNeverWritten(t *testing.T) {
	root := t.TempDir()
	out := &procOutput{}
	input, _ := writeCrashItems(t, root)
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey), upstreamfake.WithAnswer(gradingAnswer),
		upstreamfake.WithScript(upstreamfake.Queue(upstreamfake.RateLimited(time.Millisecond), upstreamfake.HTTPStatus(500))))
	env := map[string]string{"GEMINI_API_KEY": upstreamKey, "GEMINI_BASE_URL": fake.URL, "LLMROUTER_LOG_LEVEL": "debug"}

	oracle := func(dir string, extra ...string) []string {
		return append([]string{"oracle", "--benchmark", "custom", "--input-file", input, "--limit", "5", "--output-dir", filepath.Join(root, dir),
			"--cheap-model", cheapModel, "--strong-model", strongModel, "--judge-model", judgeModel}, extra...)
	}
	if code := runLogged(t, out, env, "", oracle("generated")...); code != 0 {
		t.Fatalf("oracle exit %d:\n%s", code, out.all.String())
	}
	wrong := map[string]string{"GEMINI_API_KEY": upstreamKey + "-revoked", "GEMINI_BASE_URL": fake.URL, "LLMROUTER_LOG_LEVEL": "debug"}
	if code := runLogged(t, out, wrong, "", oracle("refused")...); code == 0 {
		t.Error("oracle with a wrong upstream key succeeded")
	}
	noKey := map[string]string{"GEMINI_BASE_URL": fake.URL, "LLMROUTER_LOG_LEVEL": "debug"}
	runLogged(t, out, noKey, "", oracle("flagged", "--gemini-api-key", upstreamKey)...)

	hashOut := &procOutput{}
	runLogged(t, hashOut, nil, gatewayKey+"\n", "serve", "--hash-key")
	if !strings.Contains(hashOut.all.String(), hashHex(gatewayKey)) {
		t.Fatalf("--hash-key printed %q", hashOut.all.String())
	}
	out.add(hashOut.all.Bytes())

	db := filepath.Join(root, "data", "spend.db")
	cfg := filepath.Join(root, "router.yaml")
	if err := os.WriteFile(cfg, []byte(gatewayYAML(fake, db, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	serveSession(t, out, cfg, map[string]string{"GEMINI_API_KEY": upstreamKey, "LLMROUTER_LOG_LEVEL": "debug"})
	if code := runLogged(t, out, nil, "", "usage", "--db", db); code != 0 {
		t.Errorf("usage exit %d", code)
	}

	scanForKeys(t, "process output", out.all.Bytes())
	files := 0
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		scanForKeys(t, p, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 8 || fake.Stats().Served == 0 {
		t.Fatalf("only %d files written, %d upstream answers: the session did not run", files, fake.Stats().Served)
	}
	t.Logf("scanned %d bytes of output and %d files", out.all.Len(), files)
	if os.Getenv("RELIABILITY_DUMP") != "" {
		t.Log(out.all.String())
	}
}

// serveSession runs `llmrouter serve` and sends it a mix of requests, then
// stops it with SIGTERM.
func serveSession(t *testing.T, out *procOutput, cfg string, env map[string]string) {
	t.Helper()
	cmd := exec.Command(llmrouterBin(t), "serve", "--config", cfg, "--addr", "127.0.0.1:0")
	cmd.Env = subprocEnv(env)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out.add(sc.Bytes())
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Addr != "" && strings.Contains(l.Msg, "listening") {
				addr <- l.Addr
			}
		}
	}()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-copied
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve did not exit cleanly on SIGTERM: %v", err)
		}
		out.add(stdout.Bytes())
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(20 * time.Second):
		t.Fatal("gateway never said it was listening")
	}
	g := &gateway{url: base, client: &http.Client{Timeout: 30 * time.Second}}
	defer g.client.CloseIdleConnections()
	stream := `{"model":"router","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Write python code to sort a list"}]}`
	reqs := []struct {
		body string
		hdr  []string
		want int
	}{
		{chatBody, authHdr(), 200},
		{stream, authHdr(), 200},
		{chatBody, []string{"Authorization", "Bearer " + upstreamKey}, 401},
		{chatBody, []string{"Authorization", "Bearer " + gatewayKey + "x"}, 401},
		{chatBody, nil, 401},
		{`{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, authHdr(), 404},
		{`{"model":"mini","messages":"not a list"}`, authHdr(), 400},
	}
	for _, r := range reqs {
		if status, _, body := g.do("POST", "/v1/chat/completions", r.body, r.hdr...); status != r.want {
			t.Errorf("status %d, want %d: %.200s", status, r.want, body)
		}
	}
	for _, p := range []string{"/v1/models", "/metrics"} {
		if status, _, body := g.do("GET", p, "", authHdr()...); status != 200 {
			t.Errorf("%s: %d %.200s", p, status, body)
		} else {
			out.add([]byte(body))
		}
	}
}

func scanForKeys(t *testing.T, where string, data []byte) {
	t.Helper()
	for _, k := range []struct{ name, key string }{{"upstream", upstreamKey}, {"gateway", gatewayKey}} {
		if i := bytes.Index(data, []byte(k.key)); i >= 0 {
			lo, hi := max(0, i-80), min(len(data), i+len(k.key)+40)
			t.Errorf("%s key found in %s: …%q…", k.name, where, data[lo:hi])
		}
	}
}
