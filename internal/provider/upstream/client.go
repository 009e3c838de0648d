package upstream

import (
	"net"
	"net/http"
	"time"
)

// NewHTTPClient returns a client with explicit transport timeouts. It has no
// overall Timeout because streams may legitimately last minutes; callers
// bound non-streamed calls with a context deadline and streams with an idle
// watchdog (see Watchdog).
func NewHTTPClient() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Thinking models may take minutes before the first header of a
		// non-streamed answer; the per-call deadline is the real bound.
		ResponseHeaderTimeout: 10 * time.Minute,
	}
	return &http.Client{Transport: t}
}
