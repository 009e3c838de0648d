package batch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeminiOperations reads the operation shapes the API sends while a
// job runs, when it succeeded (inline and file) and when it failed.
func TestGeminiOperations(t *testing.T) {
	cases := []struct {
		file   string
		state  State
		counts Counts
		file2  string
		inline int
		msg    string
	}{
		{"gemini_operation_running.json", Running, Counts{Total: 3, Pending: 3}, "", 0, ""},
		{"gemini_operation_succeeded_inline.json", Succeeded, Counts{Total: 2, Succeeded: 1, Failed: 1}, "", 2, ""},
		{"gemini_operation_succeeded_file.json", Succeeded, Counts{Total: 2, Succeeded: 2}, "files/batch-987", 0, ""},
		{"gemini_operation_failed.json", Failed, Counts{Total: 2, Pending: 2}, "", 0, "Batch input file could not be read."},
	}
	for _, c := range cases {
		job, err := parseGeminiOperation(readTestdata(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if job.State != c.state || job.Counts != c.counts || job.outputFile != c.file2 || len(job.inline) != c.inline || job.Message != c.msg {
			t.Errorf("%s: got %+v", c.file, job)
		}
	}
	job, _ := parseGeminiOperation(readTestdata(t, "gemini_operation_succeeded_inline.json"))
	res, err := (&Gemini{}).Results(t.Context(), job)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.Usage{InputTokens: 9, OutputTokens: 2, ThinkingTokens: 25}
	if r := res["k1"]; r.Err != nil || r.Resp.Text != "Paris." || r.Resp.Usage != want || r.Resp.FinishReason != "stop" {
		t.Errorf("k1: %+v %v", r.Resp, r.Err)
	}
	var ae *apierr.Error
	if r := res["k2"]; !errors.As(r.Err, &ae) || ae.UpstreamStatus != 400 || ae.Code != apierr.UpstreamRejected {
		t.Errorf("k2: %v, want a 400 rejection", r.Err)
	}
}

func TestGeminiResponsesFile(t *testing.T) {
	lines, err := parseGeminiResults(readTestdata(t, "gemini_responses.jsonl"))
	if err != nil || len(lines) != 2 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	call := upstream.Call{Provider: "gemini batch", Model: "m"}
	if r := geminiResult(call, lines[0]); r.Err != nil || r.Resp.Usage.ThinkingTokens != 120 || r.Resp.Text != "Canberra." {
		t.Errorf("line 1: %+v %v", r.Resp, r.Err)
	}
	if r := geminiResult(call, lines[1]); apierr.CodeOf(r.Err) != apierr.UpstreamRateLimited || !apierr.Retryable(r.Err) {
		t.Errorf("line 3: %v, want a retryable rate limit", r.Err)
	}
	if _, err := parseGeminiResults([]byte("{\"key\":\"a\"}\nnot json\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v, want an error naming line 2", err)
	}
}

func TestOpenAIShapes(t *testing.T) {
	job, err := parseOpenAIBatch(readTestdata(t, "openai_batch_completed.json"))
	if err != nil || job.State != Succeeded || job.Counts != (Counts{Total: 100, Succeeded: 95, Failed: 5}) ||
		job.outputFile != "file-cvaTdG" || job.errorFile != "file-HOWS94" {
		t.Fatalf("completed: %+v %v", job, err)
	}
	job, err = parseOpenAIBatch(readTestdata(t, "openai_batch_failed.json"))
	if err != nil || job.State != Failed || !strings.Contains(job.Message, "line 2: duplicate_custom_id") {
		t.Fatalf("failed: %+v %v", job, err)
	}
	lines, err := parseOpenAIResults(readTestdata(t, "openai_output.jsonl"))
	if err != nil || len(lines) != 3 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	call := upstream.Call{Provider: "openai batch", Model: "m"}
	if r := openAIResult(call, lines[0]); r.Err != nil || r.Resp.Text != "Hello." || r.Resp.Usage.InputTokens != 22 {
		t.Errorf("line 1: %+v %v", r.Resp, r.Err)
	}
	var ae *apierr.Error
	if r := openAIResult(call, lines[1]); !errors.As(r.Err, &ae) || ae.UpstreamStatus != 400 || !strings.Contains(ae.Msg, "string too long") {
		t.Errorf("line 2: %v", r.Err)
	}
	if r := openAIResult(call, lines[2]); !apierr.Retryable(r.Err) || !strings.Contains(r.Err.Error(), "batch_expired") {
		t.Errorf("line 3: %v, want a retryable expiry", r.Err)
	}
	if _, err := parseOpenAIResults([]byte(`{"id":"x","response":null}` + "\n")); err == nil {
		t.Error("a line without custom_id was accepted")
	}
}

func TestFlexInt(t *testing.T) {
	for in, want := range map[string]int64{`"42"`: 42, `7`: 7, `null`: 0} {
		var n flexInt
		if err := n.UnmarshalJSON([]byte(in)); err != nil || int64(n) != want {
			t.Errorf("%s: %d %v", in, n, err)
		}
	}
	var n flexInt
	if err := n.UnmarshalJSON([]byte(`"x"`)); err == nil {
		t.Error(`"x" accepted`)
	}
}

// TestJournalRecovers: a torn last line is dropped (and cut from the file)
// and a corrupt line elsewhere is an error naming it.
func TestJournalRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j.jsonl")
	j, err := OpenJournal(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Submitted("gemini", "m", "n1", "batches/1", []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Submitted("gemini", "m", "n2", "batches/2", []string{"c"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Finished("batches/2", Failed); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"event":"submitted","job":"batches/3","keys":["a"`)
	f.Close()
	j, err = OpenJournal(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := j.Lookup("gemini", "m", "a"); !ok || id != "batches/1" {
		t.Errorf("a: %q %v, want batches/1 (the torn line is not a job)", id, ok)
	}
	if _, ok := j.Lookup("gemini", "m", "c"); ok {
		t.Error("c is in a failed job and must be submitted again")
	}
	if _, ok := j.Lookup("openai", "m", "a"); ok {
		t.Error("keys are per provider")
	}
	if err := j.Finished("batches/1", Succeeded); err != nil {
		t.Fatal(err)
	}
	j.Close()
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "batches/3") || strings.Count(string(data), "\n") != 4 {
		t.Fatalf("journal after repair and append:\n%s", data)
	}
	os.WriteFile(path, append([]byte("{not json\n"), data...), 0o644)
	if _, err := OpenJournal(path, nil); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("corrupt first line: %v, want an error naming line 1", err)
	}
}
