package upstreamfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// openAIBatchError is one entry of a Batch object's errors.data.
type openAIBatchError struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
	Line    *int    `json:"line"`
}

var openAIBatchStatus = map[BatchEnd]string{
	BatchSucceeded: "completed", BatchFailed: "failed", BatchExpired: "expired", BatchCancelled: "cancelled",
}

func oaiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, openaiEncoder{}.errorBody(status, msg, 0))
}

func oaiAuthorized(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		oaiError(w, http.StatusUnauthorized, "You didn't provide an API key.")
		return false
	}
	return true
}

func (s *BatchServer) openAIUpload(w http.ResponseWriter, r *http.Request) {
	if !oaiAuthorized(w, r) {
		return
	}
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		oaiError(w, http.StatusBadRequest, "Invalid multipart body: "+err.Error())
		return
	}
	purpose := r.FormValue("purpose")
	switch purpose {
	case "batch", "assistants", "fine-tune", "vision", "user_data", "evals":
	case "":
		oaiError(w, http.StatusBadRequest, "Missing required parameter: 'purpose'.")
		return
	default:
		oaiError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value for 'purpose': %q.", purpose))
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		oaiError(w, http.StatusBadRequest, "Missing required parameter: 'file'.")
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("file-fake%04d", s.seq)
	s.files[id] = data
	s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"id": id, "object": "file", "bytes": len(data), "created_at": time.Now().Unix(),
		"filename": hdr.Filename, "purpose": purpose, "status": "processed", "expires_at": nil, "status_details": nil})
	writeJSON(w, http.StatusOK, b)
}

func (s *BatchServer) openAICreate(w http.ResponseWriter, r *http.Request) {
	if !oaiAuthorized(w, r) {
		return
	}
	var p struct {
		InputFileID        string            `json:"input_file_id"`
		Endpoint           string            `json:"endpoint"`
		CompletionWindow   string            `json:"completion_window"`
		Metadata           map[string]string `json:"metadata"`
		OutputExpiresAfter json.RawMessage   `json:"output_expires_after"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		msg := "We could not parse the JSON body of your request."
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			msg = "Unrecognized request argument supplied: " + strings.Trim(name, `"`)
		}
		oaiError(w, http.StatusBadRequest, msg)
		return
	}
	switch {
	case p.InputFileID == "":
		oaiError(w, http.StatusBadRequest, "Missing required parameter: 'input_file_id'.")
		return
	case p.Endpoint != "/v1/chat/completions" && p.Endpoint != "/v1/responses" && p.Endpoint != "/v1/embeddings" && p.Endpoint != "/v1/completions":
		oaiError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value for 'endpoint': %q.", p.Endpoint))
		return
	case p.CompletionWindow != "24h":
		oaiError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value for 'completion_window': %q. Supported values are: '24h'.", p.CompletionWindow))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.files[p.InputFileID]
	if !ok {
		oaiError(w, http.StatusNotFound, fmt.Sprintf("No such File object: %s", p.InputFileID))
		return
	}
	s.seq++
	j := &fakeJob{protocol: OpenAI, id: fmt.Sprintf("batch_fake%04d", s.seq), inputFile: p.InputFileID, endpoint: p.Endpoint, metadata: p.Metadata}
	j.invalid = j.parseOpenAIInput(data)
	s.register(j)
	writeJSON(w, http.StatusOK, s.openAIBatch(j))
}

// parseOpenAIInput validates the input file as the API's validating step
// does; the first problem fails the job.
func (j *fakeJob) parseOpenAIInput(data []byte) *openAIBatchError {
	seen := map[string]bool{}
	var bad *openAIBatchError
	fail := func(n int, code, msg string) error {
		line := n
		bad = &openAIBatchError{Code: code, Message: msg, Line: &line}
		return fmt.Errorf("%s", msg)
	}
	_ = eachFakeLine(data, func(n int, line []byte) error {
		var l struct {
			CustomID string          `json:"custom_id"`
			Method   string          `json:"method"`
			URL      string          `json:"url"`
			Body     json.RawMessage `json:"body"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return fail(n, "invalid_json_line", "This line is not parseable as valid JSON or has unknown fields: "+err.Error())
		}
		switch {
		case l.CustomID == "":
			return fail(n, "missing_required_parameter", "Missing required parameter: 'custom_id'.")
		case seen[l.CustomID]:
			return fail(n, "duplicate_custom_id", "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.")
		case l.Method != http.MethodPost:
			return fail(n, "invalid_method", "Invalid value for 'method': only POST is supported.")
		case l.URL != j.endpoint:
			return fail(n, "mismatched_endpoint", "The provided endpoint in the request does not match the endpoint of the batch.")
		}
		seen[l.CustomID] = true
		req, err := parseOpenAI(l.Body)
		if err != nil {
			return fail(n, "invalid_request", err.Error())
		}
		if j.model == "" {
			j.model = req.Model
		} else if req.Model != j.model {
			return fail(n, "model_mismatch", "Requests in a batch must all use the same model.")
		}
		req.Body = l.Body
		j.keys = append(j.keys, l.CustomID)
		j.reqs = append(j.reqs, req)
		return nil
	})
	if bad == nil && len(j.reqs) == 0 {
		bad = &openAIBatchError{Code: "empty_file", Message: "The batch input file is empty."}
	}
	return bad
}

func (s *BatchServer) openAIGet(w http.ResponseWriter, r *http.Request) {
	if !oaiAuthorized(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[r.PathValue("id")]
	if !ok || j.protocol != OpenAI {
		oaiError(w, http.StatusNotFound, "No batch found with id '"+r.PathValue("id")+"'.")
		return
	}
	s.advance(j)
	writeJSON(w, http.StatusOK, s.openAIBatch(j))
}

// openAIList serves GET /v1/batches: newest first, with limit and after.
func (s *BatchServer) openAIList(w http.ResponseWriter, r *http.Request) {
	if !oaiAuthorized(w, r) {
		return
	}
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			oaiError(w, http.StatusBadRequest, fmt.Sprintf("Invalid 'limit': integer between 1 and 100 expected, got %q.", v))
			return
		}
		limit = n
	}
	jobs, data, next := s.listPage(OpenAI, q.Get("after"), limit, s.openAIBatch)
	out := map[string]any{"object": "list", "data": data, "has_more": next != "", "first_id": nil, "last_id": nil}
	if len(jobs) > 0 {
		out["first_id"], out["last_id"] = jobs[0].id, jobs[len(jobs)-1].id
	}
	b, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, b)
}

// openAIBatch renders the Batch object; s.mu must be held.
func (s *BatchServer) openAIBatch(j *fakeJob) []byte {
	status := j.stateName("validating", "in_progress", openAIBatchStatus)
	if j.done {
		s.openAIFiles(j)
	}
	total, okN, failed, _ := s.counts(j)
	var out, errf any
	if j.outFile != "" {
		out = j.outFile
	}
	if j.errFile != "" {
		errf = j.errFile
	}
	var errs any
	if j.invalid != nil {
		errs = map[string]any{"object": "list", "data": []*openAIBatchError{j.invalid}}
	} else if j.done && j.state == BatchFailed {
		errs = map[string]any{"object": "list", "data": []*openAIBatchError{{Code: "batch_failed", Message: j.failMessage()}}}
	}
	if j.invalid != nil {
		total, okN, failed = 0, 0, 0
	}
	b, _ := json.Marshal(map[string]any{
		"id": j.id, "object": "batch", "endpoint": j.endpoint, "errors": errs, "input_file_id": j.inputFile,
		"completion_window": "24h", "status": status, "output_file_id": out, "error_file_id": errf,
		"created_at": j.created.Unix(), "model": j.model,
		"request_counts": map[string]int{"total": total, "completed": okN, "failed": failed},
		"metadata":       j.metadata,
	})
	return b
}

// openAIFiles writes a finished job's output and error files once; s.mu
// must be held.
func (s *BatchServer) openAIFiles(j *fakeJob) {
	if j.outFile != "" || j.errFile != "" || j.state == BatchFailed {
		return
	}
	var outBuf, errBuf bytes.Buffer
	for i := range j.reqs {
		answered, status := s.outcome(j, i)
		line := map[string]any{"id": fmt.Sprintf("batch_req_%s_%d", j.id, i), "custom_id": j.keys[i], "error": nil}
		switch {
		case !answered:
			code, msg := "batch_expired", "This request could not be executed before the completion window expired."
			if j.state == BatchCancelled {
				code, msg = "batch_cancelled", "This request was not executed because the batch was cancelled."
			}
			line["response"] = nil
			line["error"] = map[string]string{"code": code, "message": msg}
		case status != 0:
			line["response"] = map[string]any{"status_code": status, "request_id": fmt.Sprintf("req_%d", i),
				"body": json.RawMessage(openaiEncoder{}.errorBody(status, "", 0))}
		default:
			rp := s.reply(j, i)
			line["response"] = map[string]any{"status_code": 200, "request_id": fmt.Sprintf("req_%d", i),
				"body": json.RawMessage(openaiEncoder{}.body(rp, rp.text))}
		}
		b, _ := json.Marshal(line)
		buf := &outBuf
		if !answered || status != 0 {
			buf = &errBuf
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if outBuf.Len() > 0 {
		s.seq++
		j.outFile = fmt.Sprintf("file-out%04d", s.seq)
		s.files[j.outFile] = outBuf.Bytes()
	}
	if errBuf.Len() > 0 {
		s.seq++
		j.errFile = fmt.Sprintf("file-err%04d", s.seq)
		s.files[j.errFile] = errBuf.Bytes()
	}
}

func (s *BatchServer) openAIContent(w http.ResponseWriter, r *http.Request) {
	if !oaiAuthorized(w, r) {
		return
	}
	if !s.serveFile(w, r.PathValue("id")) {
		oaiError(w, http.StatusNotFound, "No such File object: "+r.PathValue("id"))
	}
}
