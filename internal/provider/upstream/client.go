package upstream

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Connection pool sizes. net/http keeps only 2 idle connections per host
// by default: a gateway at 1,000 req/s with a few dozen calls in flight to
// one upstream would close most connections after each call and dial (and,
// for https, handshake) a new one for the next. These keep a burst's worth
// of connections open for reuse.
const (
	MaxIdleConns        = 1024
	MaxIdleConnsPerHost = 256
)

// sharedTransport is the one pool every provider client built by
// NewHTTPClient draws from, so connections to a host are reused across
// models and clients instead of each client keeping its own pool.
var sharedTransport = sync.OnceValue(func() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          MaxIdleConns,
		MaxIdleConnsPerHost:   MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Thinking models may take minutes before the first header of a
		// non-streamed answer; the per-call deadline is the real bound.
		ResponseHeaderTimeout: 10 * time.Minute,
	}
})

// NewHTTPClient returns a client on the shared transport, which has
// explicit timeouts and a pool sized for gateway traffic. It has no overall
// Timeout because streams may legitimately last minutes; callers bound
// non-streamed calls with a context deadline and streams with an idle
// watchdog (see Watchdog).
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: sharedTransport()}
}
