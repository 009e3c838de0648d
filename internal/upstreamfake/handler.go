package upstreamfake

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// encoder renders one protocol's bodies and stream events.
type encoder interface {
	body(rp *reply, text string) []byte
	chunk(rp *reply, text string, last bool) []byte
	preamble(rp *reply) [][]byte
	trailer(rp *reply) [][]byte
	sep() string
	done() string
	errorBody(status int, msg string, retryAfter time.Duration) []byte
}

// exchange is one call in progress.
type exchange struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	enc    encoder
	call   Call
	fault  Fault
	req    *Request
	sse    bool // stream framing: SSE, else a JSON array (Gemini without alt=sse)
	failed bool // a write failed: the client is gone
	// gen is the usage of the answer generated; reported says whether the
	// response carried it.
	gen      Usage
	reported bool
	events   int // stream events written, for array framing
}

func (s *Server) handleGemini(w http.ResponseWriter, r *http.Request) {
	model, method, _ := strings.Cut(r.PathValue("call"), ":")
	x := s.newExchange(w, r, Gemini, geminiEncoder{})
	defer x.finish()
	stream := method == "streamGenerateContent"
	if !stream && method != "generateContent" {
		x.fail(http.StatusNotFound, "unknown method "+method, "bad_request")
		return
	}
	x.sse = r.URL.Query().Get("alt") == "sse"
	x.serve(func(b []byte) (*Request, error) { return parseGemini(b, model, stream) })
}

func (s *Server) handleOpenAI(w http.ResponseWriter, r *http.Request) {
	x := s.newExchange(w, r, OpenAI, openaiEncoder{})
	defer x.finish()
	x.sse = true
	x.serve(func(b []byte) (*Request, error) {
		req, err := parseOpenAI(b)
		if err == nil {
			x.enc = openaiEncoder{includeUsage: req.IncludeUsage}
		}
		return req, err
	})
}

func (s *Server) newExchange(w http.ResponseWriter, r *http.Request, p Protocol, enc encoder) *exchange {
	i := s.stats.begin(p, time.Now())
	return &exchange{s: s, w: w, r: r, enc: enc, call: Call{Index: i, Protocol: p, Start: time.Now()}}
}

func (x *exchange) finish() {
	x.call.End = time.Now()
	var reported, unreported Usage
	if x.call.Served {
		if x.reported {
			reported = x.gen
			x.call.Usage = x.gen
		} else {
			unreported = x.gen
		}
	}
	x.s.stats.end(x.call, reported, unreported)
}

// serve runs the checks a real upstream makes, then the scripted fault.
func (x *exchange) serve(parse func([]byte) (*Request, error)) {
	s := x.s
	if !x.authorized() {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, s.cfg.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			x.fail(http.StatusRequestEntityTooLarge, "request body too large", "bad_request")
			return
		}
		x.fail(http.StatusBadRequest, "reading body: "+err.Error(), "bad_request")
		return
	}
	req, err := parse(body)
	if err != nil {
		x.fail(http.StatusBadRequest, err.Error(), "bad_request")
		return
	}
	req.Header = x.r.Header.Clone()
	req.Body = body
	x.req = req
	x.call.Model, x.call.Stream, x.call.Hash, x.call.LastUser = req.Model, req.Stream, req.Hash(), req.LastUser()
	if s.cfg.models != nil && !s.cfg.models[req.Model] {
		x.fail(http.StatusNotFound, "models/"+req.Model+" is not found for API version v1beta, or is not supported for generateContent.", "unknown_model")
		return
	}
	if s.limiter != nil && !s.limiter.Allow() {
		x.fault = RateLimited(time.Duration(float64(time.Second) / s.cfg.rps))
		x.fail(http.StatusTooManyRequests, "", "rate_limited")
		return
	}
	if s.cfg.script != nil {
		x.fault = s.cfg.script(x.call.Index, req)
	}
	x.call.Fault = x.fault.Label()
	if !s.wait(x.r.Context(), s.cfg.latency+x.fault.Latency) {
		panic(http.ErrAbortHandler)
	}
	x.run()
}

func (x *exchange) authorized() bool {
	key := x.s.cfg.apiKey
	if key == "" {
		return true
	}
	var got string
	if x.call.Protocol == Gemini {
		got = x.r.Header.Get("x-goog-api-key")
		if got == "" {
			got = x.r.URL.Query().Get("key")
		}
		switch {
		case got == "":
			x.fail(http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", "auth")
			return false
		case subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1:
			x.fail(http.StatusBadRequest, "API key not valid. Please pass a valid API key.", "auth")
			return false
		}
		return true
	}
	got, _ = strings.CutPrefix(x.r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
		x.fail(http.StatusUnauthorized, "", "auth")
		return false
	}
	return true
}

// fail sends an error reply and labels the call.
func (x *exchange) fail(status int, msg, label string) {
	x.call.Fault = label
	x.writeError(status, msg)
}

func (x *exchange) writeError(status int, msg string) {
	x.call.Status = status
	h := x.w.Header()
	if ra := x.fault.RetryAfter; ra > 0 {
		h.Set("Retry-After", retryAfterSeconds(ra))
		h.Set("retry-after-ms", itoa(ra.Milliseconds()))
	}
	if status == http.StatusBadGateway {
		// A 502 comes from a load balancer, not the API: HTML, not JSON.
		h.Set("Content-Type", "text/html; charset=UTF-8")
		x.w.WriteHeader(status)
		_, _ = io.WriteString(x.w, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n")
		return
	}
	writeJSON(x.w, status, x.enc.errorBody(status, msg, x.fault.RetryAfter))
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
