// Package batch sends chat requests through the providers' asynchronous
// batch APIs (Gemini Batch Mode, the OpenAI Batch API), which answer within
// 24 hours at about half the online price. A Backend speaks one provider's
// batch protocol; a Batcher turns it into a provider.Provider whose
// Complete queues the request, submits the queue as one job, waits for the
// job and returns the request's answer, exactly as the online client would
// have returned it. A Journal records every job before it is waited on, so
// a process killed mid-job resumes by polling that job, never by paying
// for the same requests again.
package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// State is a job's state in words common to both APIs.
type State string

// Job states. Pending and Running are the only unfinished ones.
const (
	Pending   State = "pending"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Cancelled State = "cancelled"
	Expired   State = "expired"
)

// Done reports whether the job will not change any more.
func (s State) Done() bool {
	switch s {
	case Succeeded, Failed, Cancelled, Expired:
		return true
	}
	return false
}

// Counts are a job's request counts as the API reports them.
type Counts struct {
	Total, Succeeded, Failed, Pending int
}

// Job is a submitted batch job as last polled.
type Job struct {
	// ID is the API's name for the job: "batches/…" for Gemini, "batch_…"
	// for OpenAI.
	ID    string
	State State
	// Raw is the state as the API spells it (BATCH_STATE_RUNNING, in_progress).
	Raw    string
	Counts Counts
	// Message is the API's error message for a failed job.
	Message string

	// Where the results are, as the backend that polled the job found them.
	outputFile, errorFile string
	inline                []geminiInlined
}

// Item is one request of a job: its key and its exact online request body.
type Item struct {
	Key  string
	Body []byte
}

// Result is one request's outcome: a response or an error. Errors that a
// later job may not repeat (rate limits, server errors, expiry) are
// retryable by apierr.Retryable.
type Result struct {
	Resp *provider.Response
	Err  error
}

// Backend is one provider's batch protocol. Implementations are safe for
// concurrent use.
type Backend interface {
	// Provider names the protocol ("gemini", "openai") in keys and logs.
	Provider() string
	// Encode returns the body the online client sends for req.
	Encode(req *provider.Request) ([]byte, error)
	// Submit creates one job holding items, all for model.
	Submit(ctx context.Context, model, displayName string, items []Item) (Job, error)
	// Poll returns the job's current state.
	Poll(ctx context.Context, id string) (Job, error)
	// Results fetches the finished job's per-request outcomes by key.
	Results(ctx context.Context, job Job) (map[string]Result, error)
	// Find looks for a job by the display name it was submitted with,
	// for a create call whose answer was lost.
	Find(ctx context.Context, model, displayName string) (id string, found bool, err error)
}

// findPages bounds how many list pages Find reads: the job it looks for
// was created moments before the crash, so it is among the newest.
const findPages = 20

// jobReply is the Job a create or poll reply describes, b and err being
// the call's result: both protocols treat a reply their parse rejects as
// the upstream's fault (call.Malformed), not as a transport error.
func jobReply(call upstream.Call, b []byte, err error, parse func([]byte) (Job, error)) (Job, error) {
	if err != nil {
		return Job{}, err
	}
	job, err := parse(b)
	if err != nil {
		return Job{}, call.Malformed(err)
	}
	return job, nil
}

// Key identifies a request: a hash of the provider, the model and the exact
// request body, so a rerun that builds the same request finds the job that
// already holds it.
func Key(providerName, model string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", providerName, model)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// flexInt reads a JSON integer sent as a number or, as Google's APIs send
// int64 fields, as a string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer field: %q is not an integer", s)
	}
	*n = flexInt(v)
	return nil
}
