package reliability

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binBuild error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// llmrouterBin builds the llmrouter binary once per test binary, on first
// use, so fuzzing and in-process tests do not pay for it.
func llmrouterBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "llmrouter-reliability-")
		if err != nil {
			binBuild = err
			return
		}
		binDir = dir
		p := filepath.Join(dir, "llmrouter")
		// Built without -race even under go test -race: the subprocess is
		// killed, not inspected, and a race build would only slow it down.
		cmd := exec.Command("go", "build", "-o", p, "github.com/llmrouter/llmrouter/cmd/llmrouter")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			binBuild = fmt.Errorf("build llmrouter: %v\n%s", err, out.String())
			return
		}
		binPath = p
	})
	if binBuild != nil {
		t.Fatal(binBuild)
	}
	return binPath
}

// subprocEnv is a minimal environment for the binary: nothing inherited
// but what a Go program needs to run, plus vars.
func subprocEnv(vars map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "TMPDIR=" + os.TempDir()}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}
