package oracle

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/judge"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// goldenNoMessages is the digest of everything a pairwise and a reference
// run over captured items without messages send upstream and write, taken
// before conversations were carried: such items must not change a byte.
const goldenNoMessages = "7324072a7efd3f526c59a0a548fdc1192eb19eef6f2e3298840a28a3149946af"

var latencyRE = regexp.MustCompile(`"latency_ms":[-0-9.e+]+`)

// TestNoMessagesKeepsBytes: request bodies (both protocols), journal lines
// and dataset rows are byte-identical to what they were, latencies aside.
func TestNoMessagesKeepsBytes(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := fake.New(t, fake.WithAnswer(func(req *fake.Request) fake.Reply {
		mu.Lock()
		bodies = append(bodies, req.Model+" "+string(req.Body))
		mu.Unlock()
		return pairAnswer(req)
	}))
	reg := realRegistry(t, srv)
	h := sha256.New()
	for _, label := range []string{LabelPairwise, LabelReference} {
		dir := t.TempDir()
		cfg := pairwiseConfig(t, reg, capturedItems(5), dir)
		if label == LabelReference {
			p, m, err := reg.Get("pro")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Label, cfg.Pairwise, cfg.Reference, cfg.JudgeName = LabelReference, nil, judge.NewReference(judge.NewLLM(p, m)), "reference:pro"
		}
		mustRun(t, cfg)
		for _, f := range []string{DatasetFile, JournalFile} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(latencyRE.ReplaceAll(b, []byte(`"latency_ms":0`))), "\n")
			slices.Sort(lines) // the journal's order is the calls' finishing order
			for _, l := range lines {
				h.Write([]byte(l + "\n"))
			}
		}
	}
	slices.Sort(bodies)
	for _, b := range bodies {
		h.Write([]byte(b + "\n"))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != goldenNoMessages {
		t.Fatalf("digest %s, want %s: items without messages no longer produce the same requests and files", got, goldenNoMessages)
	}
}
