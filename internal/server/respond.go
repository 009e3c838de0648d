package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
)

// writeError writes the OpenAI error envelope with the status for err's
// code. Only apierr messages reach the client; anything else is "internal
// error" so upstream bodies or paths never leak.
func (s *Server) writeError(w http.ResponseWriter, err error) int {
	status := apierr.HTTPStatus(apierr.CodeOf(err))
	var ae *apierr.Error
	if apiErrAs(err, &ae) && ae.RetryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", itoa(int64((ae.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, openaiapi.NewError(err))
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages quote "<threshold>"; keep them readable
	err := enc.Encode(v)
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":{"message":"internal error","type":"api_error","param":null,"code":"internal"}}`)
	}
	writeRaw(w, status, data)
}

func writeRaw(w http.ResponseWriter, status int, data []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", itoa(int64(len(data))))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	status := http.StatusNotFound
	err := apierr.New(apierr.NotFound, "unknown endpoint %s %s", r.Method, r.URL.Path)
	switch r.URL.Path {
	case "/v1/chat/completions", "/v1/models", "/healthz", "/metrics":
		status = http.StatusMethodNotAllowed
		err = apierr.New(apierr.Invalid, "method %s is not allowed on %s", r.Method, r.URL.Path)
		writeJSON(w, status, openaiapi.NewError(err))
	default:
		s.writeError(w, err)
	}
	s.metrics.request("other", status)
}

// modelListJSON pre-renders GET /v1/models: it only changes with config
// and the router model.
// "router-cascade" is listed only when a loaded model can serve it.
func modelListJSON(cat *catalog.Catalogue, now time.Time, cascade bool) ([]byte, error) {
	names := cat.Names()
	list := openaiapi.ModelList{Object: "list", Data: make([]openaiapi.ModelInfo, 0, len(names)+2)}
	list.Data = append(list.Data, openaiapi.ModelInfo{ID: "router", Object: "model", Created: now.Unix(), OwnedBy: "llmrouter"})
	if cascade {
		list.Data = append(list.Data, openaiapi.ModelInfo{ID: cascadeModel, Object: "model", Created: now.Unix(), OwnedBy: "llmrouter"})
	}
	routers := len(list.Data)
	for _, n := range names {
		list.Data = append(list.Data, openaiapi.ModelInfo{ID: n, Object: "model", Created: now.Unix(), OwnedBy: cat.Models[n].Provider})
	}
	sort.SliceStable(list.Data[routers:], func(i, j int) bool { return list.Data[routers+i].ID < list.Data[routers+j].ID })
	return json.Marshal(list)
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, s.rt.Load().modelList)
	s.metrics.request("/v1/models", http.StatusOK)
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	owner := "llmrouter"
	if !isRouterModel(id) {
		m, ok := s.cat.Models[id]
		if !ok {
			s.metrics.request("/v1/models", s.writeError(w, apierr.New(apierr.NotFound, "model %q does not exist", id)))
			return
		}
		owner = m.Provider
	}
	writeJSON(w, http.StatusOK, openaiapi.ModelInfo{ID: id, Object: "model", Created: s.now().Unix(), OwnedBy: owner})
	s.metrics.request("/v1/models", http.StatusOK)
}

// newRequestID is an OpenAI-style completion id, random so ids from
// several replicas never collide.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}
