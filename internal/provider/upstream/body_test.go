package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// ReadBodyInto must agree with ReadBody whatever the buffer and hint.
func TestReadBodyIntoMatchesReadBody(t *testing.T) {
	body := strings.Repeat("0123456789", 300)
	tests := []struct {
		name        string
		n           int
		limit, hint int64
		buf         []byte
	}{
		{"no hint", 3000, 32 << 20, 0, nil},
		{"exact hint", 3000, 32 << 20, 3000, nil},
		{"short hint", 3000, 32 << 20, 10, nil},
		{"long hint", 3000, 32 << 20, 9000, nil},
		{"reused buffer", 3000, 32 << 20, 3000, make([]byte, 17, 64)},
		{"at limit", 3000, 3000, 3000, nil},
		{"over limit", 3000, 2999, 3000, nil},
		{"hint over limit", 10, 100, 1000, nil},
		{"empty", 0, 100, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, werr := ReadBody(strings.NewReader(body[:tc.n]), tc.limit)
			for _, r := range []io.Reader{strings.NewReader(body[:tc.n]), iotest.OneByteReader(strings.NewReader(body[:tc.n]))} {
				got, err := ReadBodyInto(tc.buf, r, tc.limit, tc.hint)
				if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
					t.Fatalf("err %v, ReadBody %v", err, werr)
				}
				if err == nil && !bytes.Equal(got, want) {
					t.Fatalf("got %d bytes, ReadBody %d", len(got), len(want))
				}
			}
		})
	}
}

func TestBodyIntoErrors(t *testing.T) {
	call := Call{Provider: "p", Model: "m"}
	_, err := call.BodyInto(context.Background(), nil, strings.NewReader("abcdef"), 3, 0)
	if apierr.CodeOf(err) != apierr.UpstreamUnavailable || !strings.Contains(err.Error(), "malformed response") {
		t.Fatalf("too large: %v", err)
	}
	_, err = call.BodyInto(context.Background(), nil, iotest.ErrReader(io.ErrUnexpectedEOF), 100, 0)
	if apierr.CodeOf(err) != apierr.UpstreamUnavailable || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error: %v", err)
	}
}
