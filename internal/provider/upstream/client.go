package upstream

import (
	"log/slog"
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

// Config configures a provider client. The providers' Config types are
// defined as this one, so that the settings they share and their defaults
// live in one place.
type Config struct {
	// BaseURL is the API root; each provider documents its form and
	// default.
	BaseURL string
	// APIKey authenticates the client; OpenAI-compatible servers run
	// keyless when it is empty.
	APIKey string
	// Name prefixes error messages and labels logs (default: the
	// provider's name).
	Name string
	// HTTPClient defaults to NewHTTPClient().
	HTTPClient *http.Client
	// Timeout bounds one non-streamed call (default 5 minutes: thinking
	// models can take long on hard prompts).
	Timeout time.Duration
	// StreamIdleTimeout ends a stream that sent nothing for this long
	// (default 2 minutes).
	StreamIdleTimeout time.Duration
	// MaxBodyBytes bounds a response body or one stream event (default
	// MaxBodyBytes, 32 MiB).
	MaxBodyBytes int64
	// Logger defaults to one that discards.
	Logger *slog.Logger
}

// WithDefaults returns c with every zero field set to its default; name
// is the provider's.
func (c Config) WithDefaults(name string) Config {
	if c.Name == "" {
		c.Name = name
	}
	if c.HTTPClient == nil {
		c.HTTPClient = NewHTTPClient()
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.StreamIdleTimeout <= 0 {
		c.StreamIdleTimeout = 2 * time.Minute
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = MaxBodyBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
