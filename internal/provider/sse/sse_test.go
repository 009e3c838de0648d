package sse

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t testing.TB, r *Reader) ([]Event, error) {
	t.Helper()
	var out []Event
	for {
		ev, err := r.Next()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, ev)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Event
		wantErr error
	}{
		{name: "single", in: "data: hello\n\n", want: []Event{{Data: "hello", Retry: -1}}},
		{name: "no space after colon", in: "data:hello\n\n", want: []Event{{Data: "hello", Retry: -1}}},
		{name: "only one leading space stripped", in: "data:  two\n\n", want: []Event{{Data: " two", Retry: -1}}},
		{name: "multi-line data", in: "data: a\ndata: b\n\n", want: []Event{{Data: "a\nb", Retry: -1}}},
		{name: "crlf", in: "event: delta\r\ndata: x\r\n\r\n", want: []Event{{Type: "delta", Data: "x", Retry: -1}}},
		{name: "lone cr", in: "data: x\rdata: y\r\r", want: []Event{{Data: "x\ny", Retry: -1}}},
		{name: "comments ignored", in: ": keep-alive\n\n: ping\ndata: z\n\n", want: []Event{{Data: "z", Retry: -1}}},
		{name: "id persists", in: "id: 7\ndata: a\n\ndata: b\n\n", want: []Event{{Data: "a", ID: "7", Retry: -1}, {Data: "b", ID: "7", Retry: -1}}},
		{name: "id with NUL ignored", in: "id: a\x00b\ndata: a\n\n", want: []Event{{Data: "a", Retry: -1}}},
		{name: "retry", in: "retry: 3000\ndata: a\n\n", want: []Event{{Data: "a", Retry: 3000}}},
		{name: "bad retry ignored", in: "retry: 3s\ndata: a\n\n", want: []Event{{Data: "a", Retry: -1}}},
		{name: "event without data not dispatched", in: "event: ping\n\ndata: a\n\n", want: []Event{{Data: "a", Retry: -1}}},
		{name: "empty data dispatched", in: "data:\n\n", want: []Event{{Data: "", Retry: -1}}},
		{name: "field without colon", in: "data\n\n", want: []Event{{Data: "", Retry: -1}}},
		{name: "unknown field ignored", in: "foo: bar\ndata: a\n\n", want: []Event{{Data: "a", Retry: -1}}},
		{name: "last event without blank line", in: "data: a\n\ndata: b\n", want: []Event{{Data: "a", Retry: -1}, {Data: "b", Retry: -1}}},
		{name: "empty stream", in: "", want: nil},
		{name: "leading BOM", in: "\ufeffdata: a\n\n", want: []Event{{Data: "a", Retry: -1}}},
		{name: "truncated mid-line", in: "data: a\n\ndata: {\"par", want: []Event{{Data: "a", Retry: -1}}, wantErr: io.ErrUnexpectedEOF},
		{name: "openai done", in: "data: {\"x\":1}\n\ndata: [DONE]\n\n", want: []Event{{Data: `{"x":1}`, Retry: -1}, {Data: "[DONE]", Retry: -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader exercises CRLF pairs split across reads.
			for _, src := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := readAll(t, NewReader(src, 1024))
				if !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %d events %+v, want %d %+v", len(got), got, len(tc.want), tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("event %d = %+v, want %+v", i, got[i], tc.want[i])
					}
				}
			}
		})
	}
}

func TestReaderSizeBound(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"one long line", "data: " + strings.Repeat("x", 5000) + "\n\n"},
		{"many short lines", strings.Repeat("data: "+strings.Repeat("y", 100)+"\n", 100) + "\n"},
		{"endless line", "data: " + strings.Repeat("z", 100000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, NewReader(strings.NewReader(tc.in), 1024))
			if !errors.Is(err, ErrEventTooLarge) {
				t.Fatalf("err = %v, want ErrEventTooLarge", err)
			}
		})
	}
}

func TestReaderStickyError(t *testing.T) {
	boom := errors.New("connection reset")
	r := NewReader(io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)), 0)
	if ev, err := r.Next(); err != nil || ev.Data != "a" {
		t.Fatalf("first = %+v, %v", ev, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Fatalf("call %d: err = %v, want %v", i, err, boom)
		}
	}
}

// TestRecordedStreams parses the real-shaped streams kept as fuzz seeds.
func TestRecordedStreams(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sse")
	if len(files) == 0 {
		t.Fatal("no testdata/*.sse files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := readAll(t, NewReader(strings.NewReader(string(b)), 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) < 2 {
				t.Fatalf("got %d events", len(evs))
			}
		})
	}
}

func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.sse")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("data: a\r\ndata: b\r\n\r\n"))
	f.Add([]byte("event: x\rid: 1\rretry: 10\rdata\r\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 512
		r := NewReader(strings.NewReader(string(in)), max)
		for i := 0; ; i++ {
			ev, err := r.Next()
			if err != nil {
				// Errors are sticky.
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return
			}
			if len(ev.Data) > max {
				t.Fatalf("event of %d bytes exceeds bound %d", len(ev.Data), max)
			}
			if i > len(in) {
				t.Fatalf("more events (%d) than input bytes (%d)", i, len(in))
			}
		}
	})
}

// FuzzRoundTrip checks that data written in SSE form is read back intact.
func FuzzRoundTrip(f *testing.F) {
	f.Add("hello", "line1\nline2", "\r\n")
	f.Add("", "x", "\n")
	f.Fuzz(func(t *testing.T, a, b, eol string) {
		if eol != "\n" && eol != "\r\n" && eol != "\r" {
			eol = "\n"
		}
		events := []string{a, b}
		var sb strings.Builder
		for _, e := range events {
			// Normalise the payload's own line breaks the way a writer must.
			e = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(e)
			for _, line := range strings.Split(e, "\n") {
				sb.WriteString("data: " + line + eol)
			}
			sb.WriteString(eol)
		}
		got, err := readAll(t, NewReader(strings.NewReader(sb.String()), 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(events) {
			t.Fatalf("got %d events, want %d", len(got), len(events))
		}
		for i, e := range events {
			want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(e)
			if got[i].Data != want {
				t.Fatalf("event %d = %q, want %q", i, got[i].Data, want)
			}
		}
	})
}

func BenchmarkReader(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 200; i++ {
		sb.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]}` + "\n\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		r := NewReader(strings.NewReader(in), 0)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
