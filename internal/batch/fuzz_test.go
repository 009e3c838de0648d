package batch

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

func FuzzParseGeminiResults(f *testing.F) {
	f.Add(readTestdata(f, "gemini_responses.jsonl"))
	f.Add([]byte("{\"key\":\"a\",\"response\":{\"candidates\":[]}}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := parseGeminiResults(data)
		if err != nil {
			return
		}
		call := upstream.Call{Provider: "gemini batch", Model: "m"}
		for _, l := range lines {
			r := geminiResult(call, l)
			if (r.Resp == nil) == (r.Err == nil) {
				t.Fatalf("line %+v gave response %v and error %v: want exactly one", l, r.Resp, r.Err)
			}
			if r.Resp != nil && (r.Resp.Usage.InputTokens < 0 || r.Resp.Usage.OutputTokens < 0 || r.Resp.Usage.ThinkingTokens < 0) {
				t.Fatalf("negative usage %+v", r.Resp.Usage)
			}
		}
	})
}

func FuzzParseOpenAIResults(f *testing.F) {
	f.Add(readTestdata(f, "openai_output.jsonl"))
	f.Add([]byte(`{"custom_id":"a","response":{"status_code":200,"body":{"choices":[]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := parseOpenAIResults(data)
		if err != nil {
			return
		}
		call := upstream.Call{Provider: "openai batch", Model: "m"}
		for _, l := range lines {
			if l.CustomID == "" {
				t.Fatal("a line without custom_id was accepted")
			}
			r := openAIResult(call, l)
			if (r.Resp == nil) == (r.Err == nil) {
				t.Fatalf("line %+v gave response %v and error %v: want exactly one", l, r.Resp, r.Err)
			}
		}
	})
}

func FuzzParseJobs(f *testing.F) {
	for _, name := range []string{"gemini_operation_running.json", "gemini_operation_succeeded_inline.json",
		"gemini_operation_failed.json", "openai_batch_completed.json", "openai_batch_failed.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) (Job, error){parseGeminiOperation, parseOpenAIBatch} {
			job, err := parse(data)
			if err != nil {
				continue
			}
			if job.ID == "" {
				t.Fatal("a job without id was accepted")
			}
			switch job.State {
			case Pending, Running, Succeeded, Failed, Cancelled, Expired:
			default:
				t.Fatalf("state %q", job.State)
			}
		}
	})
}
