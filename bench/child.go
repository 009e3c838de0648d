package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Some measurements need a process of their own: peak memory of training
// or of an oracle run, and the gateway's CPU and RSS apart from the load
// generator's. The bench binary (or the test binary, via TestMain)
// re-executes itself with childEnv naming the job; the request is JSON on
// stdin and the answer one JSON line on stdout.
const childEnv = "LLMROUTER_BENCH_CHILD"

func isChild() bool { return os.Getenv(childEnv) != "" }

// childJobs maps a job name to its handler; a handler reads its request
// from dec and writes its answer with emit.
var childJobs = map[string]func(ctx context.Context, dec *json.Decoder, emit func(any) error) error{
	"train":   childTrain,
	"oracle":  childOracle,
	"gateway": childGateway,
	"fake":    childFake,
	"proxy":   childProxy,
	"paced":   childPaced,
}

func runChild() int {
	job := os.Getenv(childEnv)
	h, ok := childJobs[job]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench child: unknown job %q\n", job)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	enc := json.NewEncoder(os.Stdout)
	if err := h(ctx, json.NewDecoder(os.Stdin), func(v any) error { return enc.Encode(v) }); err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", job, err)
		return 1
	}
	return 0
}

// child is a running child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	job   string
}

// startChild starts job with req on its stdin (left open: closing it asks
// long-running jobs to stop). The child's stderr goes to stderr (nil: ours).
func startChild(ctx context.Context, job string, req any, stderr io.Writer) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+job)
	cmd.Stderr = stderr
	if stderr == nil {
		cmd.Stderr = os.Stderr
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s child: %w", job, err)
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), job: job}
	if err := json.NewEncoder(stdin).Encode(req); err != nil {
		c.kill()
		return nil, fmt.Errorf("send %s child its request: %w", job, err)
	}
	return c, nil
}

// read decodes the child's next answer line.
func (c *child) read(v any) error {
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("%s child exited without an answer: %w", c.job, err)
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("%s child answer: %w", c.job, err)
	}
	return nil
}

// wait closes stdin and waits for exit. Children report their own peak
// RSS (VmHWM): getrusage's max RSS of a child is useless here, because
// Linux carries the parent's high-water mark across the vfork+exec that
// os/exec uses.
func (c *child) wait() error {
	_ = c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("%s child: %w", c.job, err)
	}
	return nil
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	_ = c.wait()
}

// runChildJob runs a one-shot job and decodes its single answer. A failed
// child's error names the last line it wrote to stderr.
func runChildJob(ctx context.Context, job string, req, resp any) error {
	var errBuf syncBuffer
	c, err := startChild(ctx, job, req, io.MultiWriter(os.Stderr, &errBuf))
	if err != nil {
		return err
	}
	if err := c.read(resp); err != nil {
		c.kill()
		if tail := strings.TrimSpace(errBuf.String()); tail != "" {
			return fmt.Errorf("%s child failed: %s", job, lastLine(tail))
		}
		return err
	}
	return c.wait()
}

// syncBuffer is a bytes.Buffer safe for os/exec's copying goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
