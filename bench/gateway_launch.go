package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runningGateway is a gateway process.
type runningGateway struct {
	url  string
	pid  int
	stop func()
}

// launchGateway starts `llmrouter serve --config cfg` (the binary from
// -llmrouter, else built from ./cmd/llmrouter) and, when that cannot run,
// the bench's own gateway child, which wires server.New the same way. It
// returns how the gateway runs, for the report.
func (b *bench) launchGateway(ctx context.Context, cfgPath string) (*runningGateway, string, error) {
	if !b.opts.smoke {
		gw, err := b.serveBinary(ctx, cfgPath)
		if err == nil {
			return gw, "`llmrouter serve --config router.yaml` as a subprocess", nil
		}
		b.opts.log.Warn("llmrouter serve unavailable; using the bench's in-process wiring of server.New in a subprocess", "error", err)
		gw2, err2 := b.childGateway(ctx, cfgPath)
		if err2 != nil {
			return nil, "", err2
		}
		return gw2, fmt.Sprintf("the bench binary re-executed as a gateway process wiring `server.New` like `llmrouter serve` (config, provider registry, trained router, SQLite spend store), because `llmrouter serve` could not start: %s", oneLine(err.Error())), nil
	}
	gw, err := b.childGateway(ctx, cfgPath)
	if err != nil {
		return nil, "", err
	}
	return gw, "the test binary re-executed as a gateway process wiring `server.New` (smoke run)", nil
}

// childGateway runs the gateway child, its request log going to a file.
func (b *bench) childGateway(ctx context.Context, cfgPath string) (*runningGateway, error) {
	logf, err := os.Create(filepath.Join(b.opts.workDir, "gateway.log"))
	if err != nil {
		return nil, err
	}
	c, err := startChild(ctx, "gateway", gatewayReq{Config: cfgPath}, logf)
	if err != nil {
		logf.Close()
		return nil, err
	}
	var a addrResp
	if err := c.read(&a); err != nil {
		c.kill()
		logf.Close()
		tail, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%w: %s", err, lastLine(string(tail)))
	}
	return &runningGateway{url: a.URL, pid: a.PID, stop: func() { _ = c.wait(); logf.Close() }}, nil
}

// serveBinary builds (unless given) and starts llmrouter serve on a free
// loopback port, waiting for /healthz.
func (b *bench) serveBinary(ctx context.Context, cfgPath string) (*runningGateway, error) {
	bin := b.opts.llmrouter
	if bin == "" {
		bin = filepath.Join(b.opts.workDir, "llmrouter")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/llmrouter")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/llmrouter: %v: %s", err, strings.TrimSpace(string(out)))
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, err
	}
	serveCfg := filepath.Join(b.opts.workDir, "router.serve.yaml")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := os.WriteFile(serveCfg, []byte(strings.Replace(string(data), `listen: "127.0.0.1:0"`, fmt.Sprintf("listen: %q", addr), 1)), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(b.opts.workDir, "gateway.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", serveCfg)
	cmd.Env = append(os.Environ(), fakeKeyEnv+"="+fakeKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	url := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			tail, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("llmrouter serve exited (%v): %s", err, lastLine(string(tail)))
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &runningGateway{url: url, pid: cmd.Process.Pid, stop: stop}, nil
			}
		}
	}
	stop()
	return nil, fmt.Errorf("llmrouter serve did not answer /healthz within 15 s")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return oneLine(lines[len(lines)-1])
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
