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

// Gemini batch shapes the fake writes (GenerateContentBatch in an
// Operation), as generativelanguage.googleapis.com v1beta sends them.
const (
	gemBatchType  = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
	gemOutputType = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
)

var gemBatchStates = map[BatchEnd]string{
	BatchSucceeded: "BATCH_STATE_SUCCEEDED", BatchFailed: "BATCH_STATE_FAILED",
	BatchExpired: "BATCH_STATE_EXPIRED", BatchCancelled: "BATCH_STATE_CANCELLED",
}

func gemError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, geminiEncoder{}.errorBody(status, msg, 0))
}

// gemAuthorized requires an API key, as Google does (403 without one).
func gemAuthorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("x-goog-api-key") == "" && r.URL.Query().Get("key") == "" {
		gemError(w, http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
		return false
	}
	return true
}

func (s *BatchServer) geminiCreate(w http.ResponseWriter, r *http.Request) {
	model, ok := strings.CutSuffix(r.PathValue("call"), ":batchGenerateContent")
	if !ok {
		gemError(w, http.StatusNotFound, "upstreamfake batch: only :batchGenerateContent is served here")
		return
	}
	if !gemAuthorized(w, r) {
		return
	}
	body, _ := io.ReadAll(r.Body)
	j, err := s.parseGeminiCreate(body, model)
	if err != nil {
		gemError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	s.seq++
	j.id = fmt.Sprintf("batches/fake%04d", s.seq)
	s.register(j)
	op := s.geminiOperation(j)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, op)
}

// parseGeminiCreate validates a batchGenerateContent body.
func (s *BatchServer) parseGeminiCreate(body []byte, model string) (*fakeJob, error) {
	top, err := object(body, "")
	if err != nil {
		return nil, err
	}
	if err := checkFields(top, "", "batch"); err != nil {
		return nil, err
	}
	raw, ok := top["batch"]
	if !ok {
		return nil, fmt.Errorf("* BatchGenerateContentRequest.batch: batch is required")
	}
	batch, err := object(raw, "batch")
	if err != nil {
		return nil, err
	}
	if err := checkFields(batch, "batch", "model", "displayName", "inputConfig", "priority"); err != nil {
		return nil, err
	}
	j := &fakeJob{protocol: Gemini, model: model}
	if v, ok := field(batch, "displayName"); !ok || json.Unmarshal(v, &j.name) != nil || j.name == "" {
		return nil, fmt.Errorf("* GenerateContentBatch.display_name: display_name is required")
	}
	v, ok := field(batch, "inputConfig")
	if !ok {
		return nil, fmt.Errorf("* GenerateContentBatch.input_config: input_config is required")
	}
	in, err := object(v, "batch.input_config")
	if err != nil {
		return nil, err
	}
	if err := checkFields(in, "batch.input_config", "fileName", "requests"); err != nil {
		return nil, err
	}
	file, hasFile := field(in, "fileName")
	reqs, hasReqs := field(in, "requests")
	switch {
	case hasFile == hasReqs:
		return nil, fmt.Errorf("* InputConfig.source: exactly one of file_name and requests must be set")
	case hasReqs:
		j.inline = true
		return j, s.parseGeminiInline(j, reqs)
	}
	if err := json.Unmarshal(file, &j.inputFile); err != nil {
		return nil, fmt.Errorf("Invalid value at 'batch.input_config.file_name': %s", file)
	}
	s.mu.Lock()
	data, ok := s.files[j.inputFile]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("File %s not found.", j.inputFile)
	}
	err = eachFakeLine(data, func(n int, line []byte) error {
		var l struct {
			Key     string          `json:"key"`
			Request json.RawMessage `json:"request"`
		}
		if err := json.Unmarshal(line, &l); err != nil || len(l.Request) == 0 {
			return fmt.Errorf("input file %s line %d: want {\"key\", \"request\"}", j.inputFile, n)
		}
		return j.addGemini(l.Key, l.Request, fmt.Sprintf("line %d", n))
	})
	return j, err
}

func (s *BatchServer) parseGeminiInline(j *fakeJob, raw json.RawMessage) error {
	obj, err := object(raw, "batch.input_config.requests")
	if err != nil {
		return err
	}
	if err := checkFields(obj, "batch.input_config.requests", "requests"); err != nil {
		return err
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(obj["requests"], &list); err != nil || len(list) == 0 {
		return fmt.Errorf("* InlinedRequests.requests: requests is required")
	}
	for i, it := range list {
		at := fmt.Sprintf("batch.input_config.requests.requests[%d]", i)
		if err := checkFields(it, at, "request", "metadata"); err != nil {
			return err
		}
		var md struct {
			Key string `json:"key"`
		}
		if v, ok := it["metadata"]; ok {
			_ = json.Unmarshal(v, &md)
		}
		if err := j.addGemini(md.Key, it["request"], at); err != nil {
			return err
		}
	}
	return nil
}

// addGemini validates one GenerateContentRequest of a job.
func (j *fakeJob) addGemini(key string, raw json.RawMessage, at string) error {
	if len(raw) == 0 {
		return fmt.Errorf("* %s.request: request is required", at)
	}
	obj, err := object(raw, at+".request")
	if err != nil {
		return err
	}
	if err := checkFields(obj, at+".request", "model", "contents", "systemInstruction", "generationConfig", "tools",
		"toolConfig", "safetySettings", "cachedContent"); err != nil {
		return err
	}
	req, err := parseGemini(raw, j.model, false)
	if err != nil {
		return fmt.Errorf("%s: %v", at, err)
	}
	req.Body = raw
	j.keys = append(j.keys, key)
	j.reqs = append(j.reqs, req)
	return nil
}

func (s *BatchServer) geminiGet(w http.ResponseWriter, r *http.Request) {
	if !gemAuthorized(w, r) {
		return
	}
	s.mu.Lock()
	j, ok := s.jobs["batches/"+r.PathValue("id")]
	if !ok || j.protocol != Gemini {
		s.mu.Unlock()
		gemError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	s.advance(j)
	op := s.geminiOperation(j)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, op)
}

// geminiList serves batches.list: operations newest first, with
// pageSize and pageToken.
func (s *BatchServer) geminiList(w http.ResponseWriter, r *http.Request) {
	if !gemAuthorized(w, r) {
		return
	}
	q := r.URL.Query()
	for k := range q {
		if k != "pageSize" && k != "pageToken" && k != "filter" && k != "key" {
			gemError(w, http.StatusBadRequest, fmt.Sprintf("Invalid JSON payload received. Unknown name %q: Cannot bind query parameter.", k))
			return
		}
	}
	size, _ := strconv.Atoi(q.Get("pageSize"))
	_, ops, next := s.listPage(Gemini, q.Get("pageToken"), size, s.geminiOperation)
	out := map[string]any{"operations": ops}
	if next != "" {
		out["nextPageToken"] = next
	}
	b, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, b)
}

// geminiOperation renders the job as an Operation; s.mu must be held.
func (s *BatchServer) geminiOperation(j *fakeJob) []byte {
	state := j.stateName("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", gemBatchStates)
	total, okN, failed, pending := s.counts(j)
	meta := map[string]any{
		"@type": gemBatchType, "model": "models/" + j.model, "displayName": j.name, "name": j.id,
		"createTime": j.created.Format(time.RFC3339Nano), "updateTime": time.Now().UTC().Format(time.RFC3339Nano),
		"batchStats": map[string]string{
			"requestCount": strconv.Itoa(total), "successfulRequestCount": strconv.Itoa(okN),
			"failedRequestCount": strconv.Itoa(failed), "pendingRequestCount": strconv.Itoa(pending),
		},
		"state": state,
	}
	op := map[string]any{"name": j.id, "metadata": meta, "done": j.done}
	switch {
	case j.done && j.state == BatchFailed:
		op["error"] = map[string]any{"code": 13, "message": j.failMessage()}
	case j.done && j.state == BatchSucceeded:
		out := s.geminiOutput(j)
		meta["output"] = out
		resp := map[string]any{"@type": gemOutputType}
		for k, v := range out {
			resp[k] = v
		}
		op["response"] = resp
		meta["endTime"] = meta["updateTime"]
	}
	b, _ := json.Marshal(op)
	return b
}

// geminiOutput is a succeeded job's GenerateContentBatchOutput: inlined
// responses for an inline job, a responses file for a file job. The file
// is written on the first poll that sees the job done; later polls only
// name it.
func (s *BatchServer) geminiOutput(j *fakeJob) map[string]any {
	if !j.inline && j.outFile != "" {
		return map[string]any{"responsesFile": j.outFile}
	}
	lines := make([]map[string]any, len(j.reqs))
	for i := range j.reqs {
		l := map[string]any{}
		if _, status := s.outcome(j, i); status != 0 {
			st, _ := gemStatus[status]
			l["error"] = map[string]any{"code": rpcCode(status), "message": fmt.Sprintf("upstreamfake: request failed with %d %s", status, st)}
		} else {
			rp := s.reply(j, i)
			l["response"] = json.RawMessage(geminiEncoder{}.body(rp, rp.text))
		}
		if j.inline {
			l["metadata"] = map[string]string{"key": j.keys[i]}
		} else {
			l["key"] = j.keys[i]
		}
		lines[i] = l
	}
	if j.inline {
		return map[string]any{"inlinedResponses": map[string]any{"inlinedResponses": lines}}
	}
	var buf bytes.Buffer
	for _, l := range lines {
		b, _ := json.Marshal(l)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	j.outFile = "files/batch-" + strings.TrimPrefix(j.id, "batches/")
	s.files[j.outFile] = buf.Bytes()
	return map[string]any{"responsesFile": j.outFile}
}

// rpcCode is the google.rpc.Code for an HTTP status.
func rpcCode(status int) int {
	switch status {
	case 400:
		return 3
	case 403:
		return 7
	case 404:
		return 5
	case 429:
		return 8
	case 503:
		return 14
	case 504:
		return 4
	}
	return 13
}

// geminiUpload serves the Files API's resumable protocol: a start request
// (metadata) answered with X-Goog-Upload-URL, then one upload-and-finalize.
func (s *BatchServer) geminiUpload(w http.ResponseWriter, r *http.Request) {
	if !gemAuthorized(w, r) {
		return
	}
	body, _ := io.ReadAll(r.Body)
	cmd := r.Header.Get("X-Goog-Upload-Command")
	if id := r.URL.Query().Get("upload_id"); id != "" {
		s.mu.Lock()
		name, ok := s.uploads[id]
		if !ok || cmd != "upload, finalize" || r.Header.Get("X-Goog-Upload-Offset") != "0" {
			s.mu.Unlock()
			gemError(w, http.StatusBadRequest, "upstreamfake batch: want one 'upload, finalize' at offset 0 for a started upload")
			return
		}
		delete(s.uploads, id)
		file := "files/upload" + id
		s.files[file] = body
		s.mu.Unlock()
		w.Header().Set("X-Goog-Upload-Status", "final")
		b, _ := json.Marshal(map[string]any{"file": map[string]any{"name": file, "displayName": name,
			"mimeType": "application/jsonl", "sizeBytes": strconv.Itoa(len(body)), "state": "ACTIVE"}})
		writeJSON(w, http.StatusOK, b)
		return
	}
	if r.Header.Get("X-Goog-Upload-Protocol") != "resumable" || cmd != "start" {
		gemError(w, http.StatusBadRequest, "upstreamfake batch: uploads must use X-Goog-Upload-Protocol: resumable, command start")
		return
	}
	var meta struct {
		File struct {
			DisplayName string `json:"displayName"`
		} `json:"file"`
	}
	if len(body) > 0 {
		top, err := object(body, "")
		if err == nil {
			err = checkFields(top, "", "file")
		}
		if err == nil {
			err = json.Unmarshal(body, &meta)
		}
		if err != nil {
			gemError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	s.mu.Lock()
	s.seq++
	id := strconv.Itoa(s.seq)
	s.uploads[id] = meta.File.DisplayName
	s.mu.Unlock()
	w.Header().Set("X-Goog-Upload-URL", s.URL+"/upload/v1beta/files?upload_id="+id+"&upload_protocol=resumable")
	w.Header().Set("X-Goog-Upload-Status", "active")
	writeJSON(w, http.StatusOK, []byte("{}"))
}

func (s *BatchServer) geminiDownload(w http.ResponseWriter, r *http.Request) {
	if !gemAuthorized(w, r) {
		return
	}
	id, ok := strings.CutSuffix(r.PathValue("call"), ":download")
	if !ok || r.URL.Query().Get("alt") != "media" {
		gemError(w, http.StatusBadRequest, "upstreamfake batch: want files/{id}:download?alt=media")
		return
	}
	if !s.serveFile(w, "files/"+id) {
		gemError(w, http.StatusNotFound, "Requested entity was not found.")
	}
}

// eachFakeLine calls fn with every non-blank line, numbered from 1.
func eachFakeLine(data []byte, fn func(n int, line []byte) error) error {
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(n+1, line); err != nil {
			return err
		}
	}
	return nil
}
