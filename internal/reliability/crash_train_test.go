package reliability

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/router"
)

func trainCmd(t *testing.T, out string) *exec.Cmd {
	sft := filepath.Join("..", "router", "testdata", "sft_small.jsonl")
	cmd := exec.Command(llmrouterBin(t), "train", "--sft-data-path", sft, "--dpo-data-path", "", "--sft-epochs", "1", "--output", out)
	cmd.Env = subprocEnv(nil)
	return cmd
}

// TestTrainCrashNeverLeavesHalfModel SIGKILLs `llmrouter train` at seeded
// random times and, twice, the moment its temporary model directory
// appears (mid-write). After every kill the model path must either load
// fully with router.Load, or be absent with the previous good model intact
// beside it (".old", between Save's two renames); a partial model must
// never load, and no temp directory may outlive the next successful run.
func TestTrainCrashNeverLeavesHalfModel(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "model")

	start := time.Now()
	var buf bytes.Buffer
	first := trainCmd(t, out)
	first.Stdout, first.Stderr = &buf, &buf
	if err := first.Run(); err != nil {
		t.Fatalf("train: %v\n%s", err, buf.String())
	}
	full := time.Since(start)
	good, err := router.Load(out)
	if err != nil {
		t.Fatalf("fresh model does not load: %v", err)
	}

	rng := rand.New(rand.NewPCG(7, 11))
	for k := range 5 {
		cmd := trainCmd(t, out)
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if k < 3 {
			// Anywhere in the run, weighted towards its end, where Save is.
			time.Sleep(time.Duration(float64(full) * (0.3 + 0.8*rng.Float64())))
		} else {
			waitForTempDir(dir, 30*time.Second)
			time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		checkModelState(t, k+1, out, good.Meta.WeightsSHA256)
	}

	// A clean run afterwards replaces whatever the kills left.
	buf.Reset()
	last := trainCmd(t, out)
	last.Stdout, last.Stderr = &buf, &buf
	if err := last.Run(); err != nil {
		t.Fatalf("train after kills: %v\n%s", err, buf.String())
	}
	if _, err := router.Load(out); err != nil {
		t.Fatalf("model after the final run does not load: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "model" {
			t.Errorf("leftover %s next to the model after a successful run", e.Name())
		}
	}
}

// waitForTempDir polls for Save's temporary sibling directory.
func waitForTempDir(dir string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".model.tmp-") {
				return
			}
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func checkModelState(t *testing.T, kill int, out, goodSHA string) {
	t.Helper()
	m, err := router.Load(out)
	switch {
	case err == nil:
		if m.Meta.WeightsSHA256 != goodSHA {
			// Same data and seed: any complete model is the same model.
			t.Errorf("kill %d: model loads but its weights differ from a clean run's", kill)
		}
	case os.IsNotExist(statErr(out)):
		old, oerr := router.Load(out + ".old")
		if oerr != nil {
			t.Errorf("kill %d: model path missing and the previous model is not recoverable: %v", kill, oerr)
		} else if old.Meta.WeightsSHA256 != goodSHA {
			t.Errorf("kill %d: the model kept aside is not the previous good one", kill)
		}
		t.Logf("kill %d: landed between Save's renames; previous model intact at %s.old", kill, filepath.Base(out))
	default:
		t.Errorf("kill %d: model path exists but does not load: %v", kill, err)
	}
}

func statErr(p string) error {
	_, err := os.Stat(p)
	return err
}
