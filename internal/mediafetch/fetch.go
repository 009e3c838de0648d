// Package mediafetch fetches remote media for upstreams that take only
// inline bytes (Gemini). Fetching on a client's behalf is a server-side
// request forgery risk, so it is off unless configured, limited to
// allow-listed hosts, and never connects to loopback, private or
// link-local addresses, whatever a host name resolves to.
package mediafetch

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Config is router.yaml's multimodal section.
type Config struct {
	// FetchRemote lets the gateway fetch https media for Gemini models.
	FetchRemote bool `yaml:"fetch_remote"`
	// AllowHosts are the host names (exact, lower case) it may fetch from.
	AllowHosts []string `yaml:"allow_hosts"`
	// MaxBytes caps one fetched body (default 10 MiB).
	MaxBytes int64 `yaml:"max_bytes"`
	// Timeout bounds one fetch (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// ErrRefused marks a URL the fetcher will not fetch.
var ErrRefused = errors.New("refused")

// Fetcher fetches allow-listed https URLs.
type Fetcher struct {
	allow    map[string]bool
	maxBytes int64
	timeout  time.Duration
	client   *http.Client
	// check vets each dialled address; tests of a successful fetch from
	// 127.0.0.1 replace it.
	check func(address string) error
}

// New returns a fetcher for cfg, or nil when fetching is off.
func New(cfg Config) *Fetcher {
	if !cfg.FetchRemote {
		return nil
	}
	f := &Fetcher{allow: map[string]bool{}, maxBytes: cfg.MaxBytes, timeout: cfg.Timeout, check: checkAddr}
	if f.maxBytes <= 0 {
		f.maxBytes = 10 << 20
	}
	if f.timeout <= 0 {
		f.timeout = 10 * time.Second
	}
	for _, h := range cfg.AllowHosts {
		f.allow[strings.ToLower(h)] = true
	}
	// The check runs on the address actually dialled, after resolution,
	// so a permitted name pointing at 127.0.0.1 (or rebinding to it
	// between lookups) is still refused.
	d := &net.Dialer{Timeout: f.timeout, Control: func(_, address string, _ syscall.RawConn) error {
		return f.check(address)
	}}
	f.client = &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, Proxy: nil, TLSHandshakeTimeout: f.timeout},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return fmt.Errorf("multimodal: too many redirects: %w", ErrRefused)
			}
			return f.checkURL(req.URL)
		},
	}
	return f
}

// checkAddr refuses addresses inside the gateway's own network.
func checkAddr(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("multimodal: address %q: %w", address, ErrRefused)
	}
	ip := ap.Addr().Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("multimodal: address %s is loopback, private or link-local: %w", ip, ErrRefused)
	}
	return nil
}

func (f *Fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "https" {
		return fmt.Errorf("multimodal: only https URLs are fetched, got %q: %w", u.Scheme, ErrRefused)
	}
	if !f.allow[strings.ToLower(u.Hostname())] {
		return fmt.Errorf("multimodal: host %q is not in multimodal.allow_hosts: %w", u.Hostname(), ErrRefused)
	}
	return nil
}

// DataURL fetches raw and returns it as a base64 data: URL.
func (f *Fetcher) DataURL(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("multimodal: %w", err)
	}
	if err := f.checkURL(u); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("multimodal: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("multimodal: fetching %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("multimodal: fetching %s: status %d", u.Host, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return "", fmt.Errorf("multimodal: reading %s: %w", u.Host, err)
	}
	if int64(len(body)) > f.maxBytes {
		return "", fmt.Errorf("multimodal: %s is larger than multimodal.max_bytes (%d): %w", u.Host, f.maxBytes, ErrRefused)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		mt = http.DetectContentType(body)
		mt, _, _ = strings.Cut(mt, ";")
	}
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(body), nil
}
