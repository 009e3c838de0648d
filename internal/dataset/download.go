package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// maxDownloadBytes bounds the SimpleQA download (the real file is ~2 MB).
const maxDownloadBytes = 64 << 20

// Benchmarks lists the names Download accepts.
var Benchmarks = []string{"simpleqa", "mmlu", "gsm8k", "recorded"}

// DownloadOptions configures Download.
type DownloadOptions struct {
	Benchmark string        // simpleqa (default), mmlu, gsm8k or recorded
	URL       string        // SimpleQA source; default SimpleQAURL
	Offline   bool          // never touch the network; use the embedded copy
	Timeout   time.Duration // whole-request timeout; 0 means 30s
	Client    *http.Client  // nil means a plain client
	Log       *slog.Logger  // nil means discard
}

// Source says where downloaded items came from.
type Source struct {
	Name     string // URL, or "embedded"
	Fallback bool   // the network was unreachable and the embedded copy was used
}

func (s Source) String() string {
	if s.Fallback {
		return s.Name + " (network unreachable)"
	}
	return s.Name
}

// Download returns the items of a benchmark. SimpleQA is fetched from
// opts.URL and verified against SimpleQASHA256; when opts.Offline is set, or
// the network is unreachable (DNS, dial and timeout errors), the embedded
// copy (verified against the same digest) is used instead and a warning is
// logged. Any other failure, a bad HTTP status or a digest mismatch, is an
// error: silently substituting data would hide a real problem. The recorded
// benchmarks always come from the embedded data.
func Download(ctx context.Context, opts DownloadOptions) ([]Item, Source, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch opts.Benchmark {
	case "", "simpleqa":
	case "mmlu", "gsm8k", "recorded":
		items, err := RecordedItems(opts.Benchmark)
		return items, Source{Name: "embedded"}, err
	default:
		return nil, Source{}, fmt.Errorf("unknown benchmark %q (want simpleqa, mmlu, gsm8k or recorded)", opts.Benchmark)
	}
	if opts.Offline {
		log.Warn("offline: using the SimpleQA copy embedded in the binary", "sha256", SimpleQASHA256)
		items, err := EmbeddedSimpleQA()
		return items, Source{Name: "embedded"}, err
	}
	src := opts.URL
	if src == "" {
		src = SimpleQAURL
	}
	raw, err := FetchVerified(ctx, opts.Client, src, SimpleQASHA256, opts.Timeout)
	if err != nil {
		if ctx.Err() != nil || !NetworkUnreachable(err) {
			return nil, Source{}, err
		}
		log.Warn("network unreachable: using the SimpleQA copy embedded in the binary",
			"url", src, "error", err.Error(), "sha256", SimpleQASHA256)
		items, eerr := EmbeddedSimpleQA()
		return items, Source{Name: "embedded", Fallback: true}, eerr
	}
	items, err := LoadSimpleQACSV(bytes.NewReader(raw), src)
	return items, Source{Name: src}, err
}

// FetchVerified GETs rawURL (or reads it, for a file:// URL or a plain
// path) and returns its body if it hashes to wantSHA256.
// Nothing is returned on a mismatch, so callers cannot write bad data.
func FetchVerified(ctx context.Context, client *http.Client, rawURL, wantSHA256 string, timeout time.Duration) ([]byte, error) {
	if path, ok := localPath(rawURL); ok {
		return readVerified(path, wantSHA256)
	}
	if client == nil {
		client = http.DefaultClient
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", rawURL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download %s: HTTP %s", rawURL, resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxDownloadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: read body: %w", rawURL, err)
	}
	if len(raw) > maxDownloadBytes {
		return nil, fmt.Errorf("download %s: body larger than %d bytes", rawURL, maxDownloadBytes)
	}
	if err := VerifySHA256(raw, wantSHA256); err != nil {
		return nil, fmt.Errorf("download %s: %w (the file changed or was corrupted; use --offline for the embedded copy)", rawURL, err)
	}
	return raw, nil
}

// localPath recognises file:// URLs and plain paths, so a user with a
// mirrored copy of the CSV can point --url at it.
func localPath(rawURL string) (string, bool) {
	if p, ok := strings.CutPrefix(rawURL, "file://"); ok {
		return p, true
	}
	return rawURL, !strings.Contains(rawURL, "://")
}

func readVerified(path, wantSHA256 string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := VerifySHA256(raw, wantSHA256); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, nil
}

// NetworkUnreachable reports whether err means the host could not be
// reached at all (DNS failure, refused or failed dial, timeout), as opposed
// to a server that answered with something wrong.
func NetworkUnreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Timeout() {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
