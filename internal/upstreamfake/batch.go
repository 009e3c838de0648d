package upstreamfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// BatchServer fakes the two batch APIs llmrouter uses: Gemini Batch Mode
// (batchGenerateContent, the Files API's resumable upload and download,
// batches/{id} operations) and the OpenAI Batch API (/v1/files,
// /v1/batches, file content). It validates requests as the real APIs do
// (unknown or missing fields are a 400 naming them), answers each request
// with the same Answerer and usage as Server, and moves jobs through their
// states as a BatchPlan says, so tests can drive every state.
type BatchServer struct {
	// URL is the root: Gemini's base URL (without /v1beta). OpenAIBase is
	// URL + "/v1".
	URL        string
	OpenAIBase string

	answer Answerer
	plan   func(job int) BatchPlan
	srv    *http.Server
	ln     net.Listener

	mu       sync.Mutex
	jobs     map[string]*fakeJob
	order    []*fakeJob
	files    map[string][]byte
	uploads  map[string]string // resumable upload id -> display name
	seq      int
	released bool
	polls    int
	// submitted counts, per model and prompt hash, the jobs a request was in.
	submitted map[string]int
}

// BatchEnd is how a fake job ends.
type BatchEnd string

// Job endings.
const (
	BatchSucceeded BatchEnd = "succeeded"
	BatchFailed    BatchEnd = "failed"
	BatchExpired   BatchEnd = "expired"
	BatchCancelled BatchEnd = "cancelled"
)

// BatchPlan scripts one job (jobs are numbered from 0 in creation order).
type BatchPlan struct {
	// Polls is how many polls see the job unfinished before it ends
	// (first pending, then running); default 1.
	Polls int
	// Hold keeps the job unfinished while the server holds (from the
	// start until Release, and again after Hold).
	Hold bool
	// End is the final state (default BatchSucceeded); Message is a failed
	// job's error.
	End     BatchEnd
	Message string
	// Answered is how many of an expired or cancelled job's requests (the
	// first ones) were answered before it ended.
	Answered int
	// RequestError, if set, fails single requests inside a successful job
	// with an HTTP status (0 answers normally); attempt counts from 1 the
	// jobs the same request has been in.
	RequestError func(req *Request, attempt int) int
}

// BatchOption configures a BatchServer.
type BatchOption func(*BatchServer)

// WithBatchAnswer sets how answers are computed (default DefaultAnswer).
func WithBatchAnswer(a Answerer) BatchOption { return func(s *BatchServer) { s.answer = a } }

// WithBatchPlan scripts each job by its creation index.
func WithBatchPlan(p func(job int) BatchPlan) BatchOption {
	return func(s *BatchServer) { s.plan = p }
}

// fakeJob is one batch job in either API.
type fakeJob struct {
	index    int
	id       string
	protocol Protocol
	model    string
	name     string
	created  time.Time
	plan     BatchPlan
	polls    int
	keys     []string // Gemini metadata keys or OpenAI custom_ids, in order
	reqs     []*Request
	// Gemini: inline or file input; OpenAI: input file and endpoint.
	inline    bool
	inputFile string
	endpoint  string
	metadata  map[string]string
	// invalid is an OpenAI validation failure: the job fails with it.
	invalid *openAIBatchError
	done    bool
	state   BatchEnd
	outFile string
	errFile string
}

// NewBatch starts a batch fake on a loopback port, closed in tb.Cleanup.
func NewBatch(tb testing.TB, opts ...BatchOption) *BatchServer {
	tb.Helper()
	s, err := StartBatch("", opts...)
	if err != nil {
		tb.Fatalf("upstreamfake: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// StartBatch listens on addr ("" means 127.0.0.1:0) and serves until Close.
func StartBatch(addr string, opts ...BatchOption) (*BatchServer, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := &BatchServer{answer: DefaultAnswer, plan: func(int) BatchPlan { return BatchPlan{} },
		jobs: map[string]*fakeJob{}, files: map[string][]byte{}, uploads: map[string]string{}, submitted: map[string]int{}}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.OpenAIBase = s.URL + "/v1"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1beta/models/{call}", s.geminiCreate)
	mux.HandleFunc("GET /v1beta/batches/{id}", s.geminiGet)
	mux.HandleFunc("GET /v1beta/batches", s.geminiList)
	mux.HandleFunc("POST /upload/v1beta/files", s.geminiUpload)
	mux.HandleFunc("GET /download/v1beta/files/{call}", s.geminiDownload)
	mux.HandleFunc("POST /v1/files", s.openAIUpload)
	mux.HandleFunc("POST /v1/batches", s.openAICreate)
	mux.HandleFunc("GET /v1/batches/{id}", s.openAIGet)
	mux.HandleFunc("GET /v1/batches", s.openAIList)
	mux.HandleFunc("GET /v1/files/{id}/content", s.openAIContent)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, []byte(`{"error":{"code":404,"message":"upstreamfake: no such endpoint","status":"NOT_FOUND"}}`))
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *BatchServer) Close() { _ = s.srv.Close() }

// listPage serves both APIs' list calls: one page of protocol p's jobs,
// each rendered by render under s.mu, with the id to continue after.
func (s *BatchServer) listPage(p Protocol, after string, limit int, render func(*fakeJob) []byte) ([]*fakeJob, []json.RawMessage, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	jobs, next := s.page(p, after, limit)
	out := make([]json.RawMessage, len(jobs))
	for i, j := range jobs {
		out[i] = render(j)
	}
	return jobs, out, next
}

// page returns the jobs of protocol p newest first, from the one after
// the job with id after ("" for the start), at most limit of them, and
// the id to continue after ("" when none are left); s.mu must be held.
func (s *BatchServer) page(p Protocol, after string, limit int) ([]*fakeJob, string) {
	var all []*fakeJob
	for i := len(s.order) - 1; i >= 0; i-- {
		if s.order[i].protocol == p {
			all = append(all, s.order[i])
		}
	}
	start := 0
	if after != "" {
		for i, j := range all {
			if j.id == after {
				start = i + 1
			}
		}
	}
	all = all[start:]
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	if len(all) <= limit {
		return all, ""
	}
	return all[:limit], all[limit-1].id
}

// serveFile answers both APIs' download calls with stored file id, or
// false (nothing written) when there is no such file.
func (s *BatchServer) serveFile(w http.ResponseWriter, id string) bool {
	s.mu.Lock()
	data, ok := s.files[id]
	s.mu.Unlock()
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return true
}

// stateName is the job's state in one API's words: pending until its
// first poll, running until done, then its end.
func (j *fakeJob) stateName(pending, running string, ends map[BatchEnd]string) string {
	switch {
	case j.done:
		return ends[j.state]
	case j.polls > 0:
		return running
	}
	return pending
}

// failMessage is a failed job's error in either API, with the default
// both use when the plan gives none.
func (j *fakeJob) failMessage() string {
	if j.plan.Message == "" {
		return "Batch failed."
	}
	return j.plan.Message
}

// DeleteFiles drops every stored file, as providers do after their
// retention period: later downloads get 404.
func (s *BatchServer) DeleteFiles() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = map[string][]byte{}
}

// Release lets held jobs proceed.
func (s *BatchServer) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = true
}

// Hold stops held jobs again until the next Release.
func (s *BatchServer) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = false
}

// BatchJobInfo describes a job the fake accepted.
type BatchJobInfo struct {
	ID       string
	Protocol Protocol
	Model    string
	Requests int
	State    BatchEnd // "" while unfinished
	// Input is "inline" (Gemini inlined requests) or "file".
	Input string
}

// Jobs lists the jobs created, in order.
func (s *BatchServer) Jobs() []BatchJobInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]BatchJobInfo, len(s.order))
	for i, j := range s.order {
		out[i] = BatchJobInfo{ID: j.id, Protocol: j.protocol, Model: j.model, Requests: len(j.reqs), Input: "file"}
		if j.inline {
			out[i].Input = "inline"
		}
		if j.done {
			out[i].State = j.state
		}
	}
	return out
}

// RequestBodies returns the request bodies of job i (creation order) as
// the fake received them.
func (s *BatchServer) RequestBodies(i int) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.order) {
		return nil
	}
	out := make([][]byte, len(s.order[i].reqs))
	for k, r := range s.order[i].reqs {
		out[k] = r.Body
	}
	return out
}

// Polls counts job polls so far.
func (s *BatchServer) Polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// Submissions maps "model prompt-hash" to the number of jobs that request
// was submitted in; a request paid for twice shows 2.
func (s *BatchServer) Submissions() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.submitted)
}

// register records a new job; s.mu must be held.
func (s *BatchServer) register(j *fakeJob) {
	j.index = len(s.order)
	j.plan = s.plan(j.index)
	if j.plan.Polls <= 0 {
		j.plan.Polls = 1
	}
	if j.plan.End == "" {
		j.plan.End = BatchSucceeded
	}
	j.created = time.Now().UTC()
	s.jobs[j.id] = j
	s.order = append(s.order, j)
	for _, r := range j.reqs {
		s.submitted[r.Model+" "+r.Hash()]++
	}
}

// advance counts a poll and ends the job when its plan says; s.mu must be
// held.
func (s *BatchServer) advance(j *fakeJob) {
	s.polls++
	if j.done || (j.plan.Hold && !s.released) {
		return
	}
	j.polls++
	if j.polls <= j.plan.Polls {
		return
	}
	j.done = true
	j.state = j.plan.End
	if j.invalid != nil {
		j.state = BatchFailed
	}
}

// attempt is how many jobs req has been in, this one included.
func (s *BatchServer) attempt(r *Request) int { return s.submitted[r.Model+" "+r.Hash()] }

// answered reports whether request i of a finished job has an answer, and
// the HTTP status of its failure (0: none).
func (s *BatchServer) outcome(j *fakeJob, i int) (answered bool, status int) {
	switch j.state {
	case BatchSucceeded:
	case BatchExpired, BatchCancelled:
		if i >= j.plan.Answered {
			return false, 0
		}
	default:
		return false, 0
	}
	if f := j.plan.RequestError; f != nil {
		if st := f(j.reqs[i], s.attempt(j.reqs[i])); st != 0 {
			return true, st
		}
	}
	return true, 0
}

// reply renders the answer to request i of a job.
func (s *BatchServer) reply(j *fakeJob, i int) *reply {
	srv := &Server{cfg: config{answer: s.answer, chunkWords: defaultChunkWord}}
	return srv.buildReply(j.reqs[i], Fault{}, j.index*100000+i)
}

// counts returns total, succeeded, failed and pending.
func (s *BatchServer) counts(j *fakeJob) (total, ok, failed, pending int) {
	total = len(j.reqs)
	if !j.done {
		return total, 0, 0, total
	}
	for i := range j.reqs {
		answered, status := s.outcome(j, i)
		switch {
		case answered && status == 0:
			ok++
		case answered:
			failed++
		case j.state == BatchFailed:
		default:
			failed++
		}
	}
	return total, ok, failed, 0
}

// checkFields refuses fields outside allowed, as Google's JSON parser does
// ("Unknown name"), accepting each allowed name in lowerCamel or snake_case.
func checkFields(obj map[string]json.RawMessage, at string, allowed ...string) error {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
		ok[snake(a)] = true
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !ok[k] {
			if at == "" {
				return fmt.Errorf("Invalid JSON payload received. Unknown name %q: Cannot find field.", k)
			}
			return fmt.Errorf("Invalid JSON payload received. Unknown name %q at '%s': Cannot find field.", k, at)
		}
	}
	return nil
}

// field returns obj's value for a lowerCamel name or its snake_case form.
func field(obj map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	v, ok := obj[snake(name)]
	return v, ok
}

func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// object decodes raw as a JSON object.
func object(raw json.RawMessage, at string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("Invalid JSON payload received. Expected an object at '%s'.", at)
	}
	return m, nil
}
