package upstream

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent calls to one host reuse pooled connections: about one dial
// per worker (a call may dial while another's connection is on its way
// back to the pool, hence the slack), instead of the default pool (2 idle
// per host) closing most connections after each call and dialling anew
// (hundreds of dials here).
func TestNewHTTPClientReusesConnections(t *testing.T) {
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond) // keep calls overlapping
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	hc := NewHTTPClient()
	defer hc.CloseIdleConnections()
	const workers, calls = 48, 20
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				resp, err := hc.Get(srv.URL)
				if err != nil {
					failed.Add(1)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	if d := dials.Load(); d > 2*workers {
		t.Errorf("%d connections dialled for %d calls by %d workers; want at most %d", d, workers*calls, workers, 2*workers)
	}
}

// Every client shares one transport, so a host's pool is shared by all
// models and providers that call it.
func TestNewHTTPClientSharesTransport(t *testing.T) {
	a, b := NewHTTPClient(), NewHTTPClient()
	if a.Transport != b.Transport {
		t.Fatal("clients have separate transports")
	}
	tr := a.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost != MaxIdleConnsPerHost || tr.MaxIdleConns != MaxIdleConns || a.Timeout != 0 {
		t.Errorf("pool %d/%d per host, timeout %v", tr.MaxIdleConns, tr.MaxIdleConnsPerHost, a.Timeout)
	}
}
