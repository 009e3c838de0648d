package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/llmrouter/llmrouter/internal/provider/gemini"
)

// geminiOperation is the long-running operation batchGenerateContent
// returns and batches/{id} serves. metadata is the GenerateContentBatch;
// response, once done, is its GenerateContentBatchOutput (also in
// metadata.output).
type geminiOperation struct {
	Name     string `json:"name"`
	Done     bool   `json:"done"`
	Metadata struct {
		Name       string `json:"name"`
		State      string `json:"state"`
		BatchStats struct {
			RequestCount           flexInt `json:"requestCount"`
			SuccessfulRequestCount flexInt `json:"successfulRequestCount"`
			FailedRequestCount     flexInt `json:"failedRequestCount"`
			PendingRequestCount    flexInt `json:"pendingRequestCount"`
		} `json:"batchStats"`
		Output *geminiOutput `json:"output"`
	} `json:"metadata"`
	Error    *geminiStatus `json:"error"`
	Response *geminiOutput `json:"response"`
}

type geminiOutput struct {
	ResponsesFile    string `json:"responsesFile"`
	InlinedResponses *struct {
		InlinedResponses []geminiInlined `json:"inlinedResponses"`
	} `json:"inlinedResponses"`
}

// geminiStatus is a google.rpc.Status: code is a gRPC code, not HTTP.
type geminiStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// geminiInlined is one result: an inlined response (key in metadata) or a
// line of the responses file (key at top level).
type geminiInlined struct {
	Key      string                          `json:"key"`
	Metadata *geminiMetadata                 `json:"metadata,omitempty"`
	Response *gemini.GenerateContentResponse `json:"response,omitempty"`
	Error    *geminiStatus                   `json:"error,omitempty"`
}

var geminiStates = map[string]State{
	"BATCH_STATE_PENDING":   Pending,
	"BATCH_STATE_RUNNING":   Running,
	"BATCH_STATE_SUCCEEDED": Succeeded,
	"BATCH_STATE_FAILED":    Failed,
	"BATCH_STATE_CANCELLED": Cancelled,
	"BATCH_STATE_EXPIRED":   Expired,
}

// parseGeminiOperation reads an operation into a Job.
func parseGeminiOperation(b []byte) (Job, error) {
	var op geminiOperation
	if err := json.Unmarshal(b, &op); err != nil {
		return Job{}, fmt.Errorf("batch operation: %w", err)
	}
	if op.Name == "" {
		op.Name = op.Metadata.Name
	}
	if op.Name == "" {
		return Job{}, errors.New("batch operation has no name")
	}
	st, ok := geminiStates[op.Metadata.State]
	switch {
	case ok:
	case op.Metadata.State == "" || op.Metadata.State == "BATCH_STATE_UNSPECIFIED":
		st = Pending
	default:
		return Job{}, fmt.Errorf("batch %s: unknown state %q", op.Name, op.Metadata.State)
	}
	if op.Error != nil && op.Done && st != Cancelled && st != Expired {
		st = Failed
	}
	s := op.Metadata.BatchStats
	job := Job{ID: op.Name, State: st, Raw: op.Metadata.State, Counts: Counts{
		Total: int(s.RequestCount), Succeeded: int(s.SuccessfulRequestCount),
		Failed: int(s.FailedRequestCount), Pending: int(s.PendingRequestCount),
	}}
	if op.Error != nil {
		job.Message = op.Error.Message
	}
	out := op.Response
	if out == nil || (out.ResponsesFile == "" && out.InlinedResponses == nil) {
		out = op.Metadata.Output
	}
	if out != nil {
		job.outputFile = out.ResponsesFile
		if out.InlinedResponses != nil {
			job.inline = out.InlinedResponses.InlinedResponses
			for i := range job.inline {
				if l := &job.inline[i]; l.Key == "" && l.Metadata != nil {
					l.Key = l.Metadata.Key
				}
			}
		}
	}
	if st == Succeeded && job.outputFile == "" && job.inline == nil {
		// Succeeded but no output yet: results are still being written.
		// Resubmitting would pay twice, so keep polling.
		job.State = Running
	}
	return job, nil
}

// parseGeminiResults reads a responses file: one JSON object per line,
// {"key", "response"} or {"key", "error"}. Blank lines are skipped; a line
// that is not JSON is an error naming it.
func parseGeminiResults(data []byte) ([]geminiInlined, error) {
	var out []geminiInlined
	err := eachLine(data, func(n int, line []byte) error {
		var l geminiInlined
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("responses file line %d: %w", n, err)
		}
		if l.Key == "" && l.Metadata != nil {
			l.Key = l.Metadata.Key
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// eachLine calls fn with every non-blank line of data, numbered from 1.
func eachLine(data []byte, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// newRequest builds a request; a nil body sends none.
func newRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return http.NewRequestWithContext(ctx, method, u, rd)
}
