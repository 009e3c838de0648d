package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/syncbuf"
)

// TestServeReloadsOnSIGHUP runs serve in-process, replaces its model
// directory the way train does (a new directory renamed into place) and
// sends the process a real SIGHUP: /metrics must then report the new
// model's version, and serve must still shut down cleanly.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGHUP on Windows")
	}
	// Held for the whole test, so a SIGHUP arriving before serve listens
	// cannot end the test binary (its default action).
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	first, second, v1, v2 := twoModels(t)
	tmp := t.TempDir()
	serving := filepath.Join(tmp, "router_final")
	if err := os.CopyFS(serving, os.DirFS(first)); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(tmp, "router.yaml")
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\nlog_format: json\nlog_flush_interval: 0s\nrouter: {model_path: %s}\nspend: {sqlite_path: %s}\n",
		serving, filepath.Join(tmp, "spend.db"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	base, logs, stop := serveInProcess(t, cfgPath, func(string) string { return "" })
	defer stop()
	if v := servedVersion(t, base); v != v1 {
		t.Fatalf("serving version %q at start, want %q", v, v1)
	}

	// Replace the model as router.Save does: a complete new directory
	// renamed over the old one.
	next := filepath.Join(tmp, ".router_final.tmp")
	if err := os.CopyFS(next, os.DirFS(second)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(serving, serving+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, serving); err != nil {
		t.Fatal(err)
	}
	if err := hangup(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, logs, func() bool { return servedVersion(t, base) == v2 }, "the SIGHUP reload to serve "+v2)
	if !strings.Contains(logs.String(), `"trigger":"sighup"`) {
		t.Errorf("no reload log line with trigger sighup:\n%s", logs.String())
	}

}

// hangup sends this process a SIGHUP, as `kill -HUP` would.
func hangup() error {
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		return err
	}
	return self.Signal(syscall.SIGHUP)
}

// twoModels trains two different small routers and returns their
// directories and versions.
func twoModels(t *testing.T) (first, second, v1, v2 string) {
	t.Helper()
	first = trainSmallModel(t)
	second = filepath.Join(t.TempDir(), "second")
	if code, _, errOut := runRouterCmd(t, nil, "train", "--sft-data-path", routerFixtureSFT, "--dpo-data-path", "",
		"--sft-epochs", "1", "--dpo-epochs", "0", "--hash-bits", "10", "--output", second); code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	version := func(dir string) string {
		m, err := router.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return m.Meta.WeightsSHA256[:12]
	}
	if v1, v2 = version(first), version(second); v1 == v2 {
		t.Fatal("the two models have the same weights")
	}
	return first, second, v1, v2
}

func waitFor(t *testing.T, logs *syncbuf.Buffer, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; log:\n%s", what, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var routerInfoRE = regexp.MustCompile(`(?m)^llmrouter_router_info\{kind="[^"]*",training_data="[0-9a-f]*",version="([^"]*)"\} 1$`)

// servedVersion is the version /metrics reports.
func servedVersion(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if m := routerInfoRE.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}
