// Package upstream holds the HTTP plumbing shared by the provider clients:
// one place that turns transport failures, HTTP statuses and bad bodies into
// *apierr.Error, bounds response sizes, parses Retry-After and scrubs API
// keys from anything an upstream echoes back.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// MaxBodyBytes bounds a non-streamed response body.
const MaxBodyBytes = 32 << 20

// maxErrorBody bounds how much of an error body we read: the message is at
// the start and a misbehaving proxy may send megabytes of HTML.
const maxErrorBody = 64 << 10

// Call names an upstream call for error messages: "gemini: gemini-2.5-pro".
type Call struct {
	Provider string
	Model    string
	// Secrets are scrubbed from every message built for this call.
	Secrets []string
}

func (c Call) prefix() string { return c.Provider + ": " + c.Model }

// Scrub replaces every secret in s with "[REDACTED]".
func Scrub(s string, secrets ...string) string {
	for _, k := range secrets {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "[REDACTED]")
		}
	}
	return s
}

// oneLine collapses whitespace so upstream messages fit one log line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Transport maps an error from http.Client.Do or from reading a body.
func (c Call) Transport(ctx context.Context, err error) *apierr.Error {
	msg := Scrub(err.Error(), c.Secrets...)
	// Keep the chain for errors.Is (context errors) but never the raw text,
	// which may contain a URL with a key in its query.
	wrapped := fmt.Errorf("%s: %w", msg, causeOf(ctx, err))
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &apierr.Error{Code: apierr.Timeout, Msg: c.prefix() + ": timed out", Err: wrapped}
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		return &apierr.Error{Code: apierr.Timeout, Msg: c.prefix() + ": canceled", Err: wrapped}
	case errors.As(err, &ne) && ne.Timeout():
		return &apierr.Error{Code: apierr.Timeout, Msg: c.prefix() + ": timed out", Err: wrapped}
	}
	return &apierr.Error{Code: apierr.UpstreamUnavailable, Msg: c.prefix() + ": connection failed", Err: wrapped}
}

// causeOf picks the sentinel to keep in the chain.
func causeOf(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled), errors.Is(ctx.Err(), context.Canceled):
		return context.Canceled
	case errors.Is(err, io.ErrUnexpectedEOF):
		return io.ErrUnexpectedEOF
	}
	return errSentinel
}

var errSentinel = errors.New("upstream error")

// Malformed reports a body that is not what the protocol promises.
func (c Call) Malformed(err error) *apierr.Error {
	return &apierr.Error{Code: apierr.UpstreamUnavailable,
		Msg: c.prefix() + ": malformed response: " + oneLine(Scrub(err.Error(), c.Secrets...))}
}

// ErrorDetail is what an upstream's error body says.
type ErrorDetail struct {
	// Status is a symbolic status such as "UNAUTHENTICATED" or an OpenAI type.
	Status  string
	Message string
}

// Status maps a non-2xx response to an error. detail, parsed from the body by
// the protocol's own decoder, may be empty.
// h (may be nil) supplies Retry-After.
func (c Call) Status(code int, h http.Header, detail ErrorDetail, now time.Time) *apierr.Error {
	var sb strings.Builder
	sb.WriteString(c.prefix())
	sb.WriteString(": ")
	sb.WriteString(strconv.Itoa(code))
	if detail.Status != "" {
		sb.WriteString(" " + detail.Status)
	}
	if detail.Message != "" {
		sb.WriteString(": " + detail.Message)
	} else if t := http.StatusText(code); t != "" && detail.Status == "" {
		sb.WriteString(" " + t)
	}
	msg := oneLine(Scrub(sb.String(), c.Secrets...))
	if len(msg) > 600 {
		msg = msg[:600] + "…"
	}
	e := &apierr.Error{Msg: msg, UpstreamStatus: code}
	switch {
	case code == http.StatusTooManyRequests:
		e.Code = apierr.UpstreamRateLimited
		e.RetryAfter = ParseRetryAfter(h.Get("Retry-After"), now)
	case code == http.StatusRequestTimeout || code == http.StatusGatewayTimeout:
		e.Code = apierr.Timeout
	case code >= 500:
		e.Code = apierr.UpstreamUnavailable
		e.RetryAfter = ParseRetryAfter(h.Get("Retry-After"), now)
	case code == http.StatusNotFound:
		e.Code = apierr.NotFound
	default:
		// 400, 401, 403, 409, 413, 422...: the request itself is at fault and
		// a retry would fail the same way.
		e.Code = apierr.UpstreamRejected
	}
	return e
}

// ParseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
// It returns 0 when absent, invalid or in the past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 || n > 86400*7 {
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// ErrTooLarge is returned by ReadBody when the body exceeds its limit.
var ErrTooLarge = errors.New("response body too large")

// ReadBody reads at most limit bytes, failing (not truncating) when longer.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := ReadBodyInto(nil, r, limit, 0)
	if errors.Is(err, ErrTooLarge) {
		return nil, err
	}
	return b, err
}

// ReadErrorBody reads the start of an error response body.
func ReadErrorBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return b
}

// Body reads a successful response body, mapping failures to apierr.
func (c Call) Body(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	b, err := c.BodyInto(ctx, nil, r, limit, 0)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// DrainClose discards a little of what is left of body so the connection can
// be reused, then closes it.
func DrainClose(body io.ReadCloser) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	return body.Close()
}
