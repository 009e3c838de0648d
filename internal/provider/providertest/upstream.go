package providertest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"
)

// Reply is one canned upstream reply.
type Reply struct {
	Status int
	Header map[string]string
	// Body is written at once (after Chunks, if both are set).
	Body []byte
	// Chunks are written and flushed one by one, as an SSE upstream does.
	Chunks []string
	// Abort breaks the connection after writing, mid-body.
	Abort bool
	// Hang blocks (after writing) until the client goes away.
	Hang bool
	// Delay waits before replying.
	Delay time.Duration
}

// Recorded is a request the fake upstream received.
type Recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// Upstream is an httptest server replying with canned Replies in order; the
// last reply repeats.
type Upstream struct {
	*httptest.Server
	mu       sync.Mutex
	replies  []Reply
	requests []Recorded
	client   *http.Client
}

// NewUpstream starts a fake upstream closed at the end of the test.
func NewUpstream(tb testing.TB, replies ...Reply) *Upstream {
	tb.Helper()
	u := &Upstream{replies: replies}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	u.client = &http.Client{Transport: &http.Transport{}}
	tb.Cleanup(func() {
		u.client.CloseIdleConnections()
		u.Server.Close()
	})
	return u
}

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	n := len(u.requests)
	u.requests = append(u.requests, Recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body})
	rep := Reply{Status: http.StatusInternalServerError, Body: []byte("no reply configured")}
	if len(u.replies) > 0 {
		rep = u.replies[min(n, len(u.replies)-1)]
	}
	u.mu.Unlock()
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	w.WriteHeader(rep.Status)
	fl, _ := w.(http.Flusher)
	for _, c := range rep.Chunks {
		_, _ = io.WriteString(w, c)
		if fl != nil {
			fl.Flush()
		}
	}
	_, _ = w.Write(rep.Body)
	if fl != nil {
		fl.Flush()
	}
	if rep.Hang {
		<-r.Context().Done()
		return
	}
	if rep.Abort {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
}

// Calls returns the number of requests received.
func (u *Upstream) Calls() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.requests)
}

// Request returns the i-th request received.
func (u *Upstream) Request(i int) Recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests[i]
}

// Client returns an HTTP client with its own transport, whose idle
// connections are closed when the test ends (keeping goleak quiet).
func (u *Upstream) Client() *http.Client { return u.client }

// SSEChunks splits an SSE body after each blank line, so a fake can flush
// event by event.
func SSEChunks(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+2]))
		b = b[i+2:]
	}
	return out
}

// MustRead reads a testdata file or fails the test.
func MustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
