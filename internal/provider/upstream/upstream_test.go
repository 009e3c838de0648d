package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"17", 17 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{" 3 ", 3 * time.Second},
		{"0", 0},
		{"-4", 0},
		{"soon", 0},
		{"Sun, 01 Jun 2025 12:01:30 GMT", 90 * time.Second},
		{"Sun, 01 Jun 2025 11:59:00 GMT", 0}, // in the past
		{"99999999", 0},                      // absurd
	}
	for _, tc := range tests {
		if got := ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestStatusMapping(t *testing.T) {
	c := Call{Provider: "gemini", Model: "gemini-2.5-pro", Secrets: []string{"KEY-123456"}}
	tests := []struct {
		code int
		want apierr.Code
	}{
		{400, apierr.UpstreamRejected}, {401, apierr.UpstreamRejected}, {403, apierr.UpstreamRejected},
		{404, apierr.NotFound}, {408, apierr.Timeout}, {422, apierr.UpstreamRejected},
		{429, apierr.UpstreamRateLimited}, {500, apierr.UpstreamUnavailable}, {502, apierr.UpstreamUnavailable},
		{503, apierr.UpstreamUnavailable}, {504, apierr.Timeout},
	}
	for _, tc := range tests {
		e := c.Status(tc.code, http.Header{"Retry-After": {"2"}}, ErrorDetail{Status: "X", Message: "bad KEY-123456"}, time.Now())
		if e.Code != tc.want || e.UpstreamStatus != tc.code {
			t.Errorf("%d: code %s, want %s", tc.code, e.Code, tc.want)
		}
		if strings.Contains(e.Error(), "KEY-123456") || !strings.Contains(e.Error(), "[REDACTED]") {
			t.Errorf("%d: key not scrubbed: %q", tc.code, e.Error())
		}
		if apierr.Retryable(e) != (tc.code == 408 || tc.code == 429 || tc.code >= 500) {
			t.Errorf("%d: retryable = %v", tc.code, apierr.Retryable(e))
		}
	}
	e := c.Status(401, nil, ErrorDetail{Status: "UNAUTHENTICATED", Message: "API key\nnot valid"}, time.Now())
	if e.Error() != "gemini: gemini-2.5-pro: 401 UNAUTHENTICATED: API key not valid" {
		t.Errorf("message = %q", e.Error())
	}
}

func TestTransport(t *testing.T) {
	c := Call{Provider: "openai", Model: "m", Secrets: []string{"sk-secret-1"}}
	dl, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	cc, cancel2 := context.WithCancel(context.Background())
	cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		code apierr.Code
		is   error
	}{
		{"deadline", dl, context.DeadlineExceeded, apierr.Timeout, context.DeadlineExceeded},
		{"canceled", cc, context.Canceled, apierr.Timeout, context.Canceled},
		{"refused", context.Background(), errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), apierr.UpstreamUnavailable, nil},
		{"url with key", context.Background(), errors.New(`Post "http://h/?key=sk-secret-1": EOF`), apierr.UpstreamUnavailable, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := c.Transport(tc.ctx, tc.err)
			if e.Code != tc.code || (tc.is != nil && !errors.Is(e, tc.is)) {
				t.Fatalf("got %v (%s)", e, e.Code)
			}
			if strings.Contains(e.Error(), "sk-secret-1") {
				t.Fatalf("key leaked: %v", e)
			}
		})
	}
}

func TestReadBody(t *testing.T) {
	if _, err := ReadBody(strings.NewReader("12345"), 4); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if b, err := ReadBody(strings.NewReader("1234"), 4); err != nil || string(b) != "1234" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := ReadBody(io.MultiReader(strings.NewReader("12"), errReader{}), 10); err == nil {
		t.Fatal("read error swallowed")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestWatchdog(t *testing.T) {
	fired := make(chan struct{})
	w := NewWatchdog(500*time.Millisecond, func() { close(fired) })
	for i := 0; i < 3; i++ {
		time.Sleep(10 * time.Millisecond)
		w.Kick()
	}
	select {
	case <-fired:
		t.Fatal("fired despite kicks")
	default:
	}
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("never fired")
	}
	if !w.Fired() {
		t.Error("Fired() = false")
	}
	w.Stop()
}
