package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// openAIBatch is the Batch object.
type openAIBatch struct {
	ID            string `json:"id"`
	Object        string `json:"object"`
	Status        string `json:"status"`
	OutputFileID  string `json:"output_file_id"`
	ErrorFileID   string `json:"error_file_id"`
	RequestCounts struct {
		Total     flexInt `json:"total"`
		Completed flexInt `json:"completed"`
		Failed    flexInt `json:"failed"`
	} `json:"request_counts"`
	Errors *struct {
		Data []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Line    *int   `json:"line"`
		} `json:"data"`
	} `json:"errors"`
}

var openAIStates = map[string]State{
	"validating":  Pending,
	"in_progress": Running,
	"finalizing":  Running,
	"cancelling":  Running,
	"completed":   Succeeded,
	"failed":      Failed,
	"expired":     Expired,
	"cancelled":   Cancelled,
}

// parseOpenAIBatch reads a Batch object into a Job.
func parseOpenAIBatch(b []byte) (Job, error) {
	var ob openAIBatch
	if err := json.Unmarshal(b, &ob); err != nil {
		return Job{}, fmt.Errorf("batch object: %w", err)
	}
	if ob.ID == "" {
		return Job{}, errors.New("batch object has no id")
	}
	st, ok := openAIStates[ob.Status]
	if !ok {
		return Job{}, fmt.Errorf("batch %s: unknown status %q", ob.ID, ob.Status)
	}
	c := ob.RequestCounts
	job := Job{ID: ob.ID, State: st, Raw: ob.Status, outputFile: ob.OutputFileID, errorFile: ob.ErrorFileID,
		Counts: Counts{Total: int(c.Total), Succeeded: int(c.Completed), Failed: int(c.Failed),
			Pending: max(int(c.Total-c.Completed-c.Failed), 0)}}
	if ob.Errors != nil {
		var msgs []string
		for _, e := range ob.Errors.Data {
			m := e.Code + ": " + e.Message
			if e.Line != nil {
				m = fmt.Sprintf("line %d: %s", *e.Line, m)
			}
			msgs = append(msgs, m)
		}
		job.Message = strings.Join(msgs, "; ")
	}
	if st == Succeeded && job.outputFile == "" && job.errorFile == "" && job.Counts.Total > 0 {
		// Completed but no file yet: keep polling rather than resubmit.
		job.State = Running
	}
	return job, nil
}

// openAIOutputLine is one line of an output or error file.
type openAIOutputLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseOpenAIResults reads an output or error file. A line without a
// custom_id is an error: its request could not be told apart.
func parseOpenAIResults(data []byte) ([]openAIOutputLine, error) {
	var out []openAIOutputLine
	err := eachLine(data, func(n int, line []byte) error {
		var l openAIOutputLine
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("output file line %d: %w", n, err)
		}
		if l.CustomID == "" {
			return fmt.Errorf("output file line %d: no custom_id", n)
		}
		out = append(out, l)
		return nil
	})
	return out, err
}
