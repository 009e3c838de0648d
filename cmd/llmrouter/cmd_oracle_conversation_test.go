package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/oracle"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// The capture file's conversations survive split and reach the upstream
// whole through oracle: capture → split → oracle --judge pairwise.
func TestCapturedConversationThroughSplitAndOracle(t *testing.T) {
	useFastRetryRegistry(t)
	var mu sync.Mutex
	sent := map[string][]fake.Message{} // first turn's text → turns, answer calls only
	srv := fake.New(t, fake.WithAnswer(func(req *fake.Request) fake.Reply {
		if l := req.LastUser(); strings.HasPrefix(l, "You compare two answers") {
			if !strings.Contains(l, "<<<CONTEXT\n") {
				return fake.Reply{Text: "D"} // a judge without context cannot tell
			}
			return fake.Reply{Text: "C"}
		}
		mu.Lock()
		sent[req.Model+" "+req.Messages[0].Text] = req.Messages
		mu.Unlock()
		return fake.Reply{Text: "an answer"}
	}))
	dir := t.TempDir()
	capture := `{"id":"g1","query":"and in Python?","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Reverse a list in Go?"},{"role":"assistant","content":"slices.Reverse(s)"},{"role":"user","content":"and in Python?"}],"source":"captured"}
{"id":"g2","query":"and in Python?","messages":[{"role":"user","content":"Reverse a vector in Rust?"},{"role":"assistant","content":"v.reverse()"},{"role":"user","content":"and in Python?"}],"source":"captured"}
`
	for i := range 10 {
		capture += fmt.Sprintf(`{"id":"p%d","query":"Plain question number %d?","source":"captured"}`+"\n", i, i)
	}
	in := filepath.Join(dir, "captured.jsonl")
	if err := os.WriteFile(in, []byte(capture), 0o644); err != nil {
		t.Fatal(err)
	}
	splits := filepath.Join(dir, "splits")
	if code, _, stderr := runCmdEnv(t, nil, "split", "--input-file", in, "--output-dir", splits, "--train-ratio", "0.5"); code != 0 {
		t.Fatalf("split: exit %d %s", code, stderr)
	}
	// Both conversations end in the same routed text, so one file has both.
	var convFile string
	for _, f := range []string{"captured_train.jsonl", "captured_test.jsonl"} {
		items, err := dataset.ReadItems(filepath.Join(splits, f))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, it := range items {
			if len(it.Messages) > 0 {
				n++
			}
		}
		if n == 2 {
			convFile = filepath.Join(splits, f)
		} else if n != 0 {
			t.Fatalf("%s holds %d of the two conversations", f, n)
		}
	}
	if convFile == "" {
		t.Fatal("the conversations were lost in the split")
	}
	out := filepath.Join(dir, "gen")
	vars := map[string]string{"GEMINI_API_KEY": "k", "GEMINI_BASE_URL": srv.URL}
	if code, _, stderr := runCmdEnv(t, vars, "oracle", "--input-file", convFile, "--output-dir", out, "--judge", "pairwise"); code != 0 {
		t.Fatalf("oracle: exit %d %s", code, stderr)
	}
	want := []fake.Message{{Role: "system", Text: "Be brief."}, {Role: "user", Text: "Reverse a list in Go?"},
		{Role: "assistant", Text: "slices.Reverse(s)"}, {Role: "user", Text: "and in Python?"}}
	for _, model := range []string{"gemini-2.5-flash", "gemini-2.5-pro"} {
		if got := sent[model+" Be brief."]; !reflect.DeepEqual(got, want) {
			t.Fatalf("%s received %+v", model, got)
		}
		if got := sent[model+" Reverse a vector in Rust?"]; len(got) != 3 {
			t.Fatalf("%s received %+v for the Rust conversation", model, got)
		}
	}
	rows, err := oracle.ReadDataset(filepath.Join(out, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Query == "and in Python?" && r.Pairwise.Outcome != "tie" {
			t.Fatalf("row %s: outcome %s; the judge was not shown the context", r.ID, r.Pairwise.Outcome)
		}
	}
}
