package upstreamfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

var streamTargets = []target{{"gemini_sse", Gemini, true}, {"openai_sse", OpenAI, true}}

// TestMidStreamFaults checks faults that strike after some events went out.
func TestMidStreamFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault Fault
		check func(t *testing.T, o outcome, d decoded, derr error)
	}{
		{"truncate_abort", Fault{Kind: Truncate, AfterChunks: 1}, func(t *testing.T, o outcome, d decoded, _ error) {
			if !errors.Is(o.err, io.ErrUnexpectedEOF) {
				t.Errorf("read error %v, want unexpected EOF", o.err)
			}
			if d.finish != "" || d.done || d.usage != nil && d.usage.Output > 0 {
				t.Errorf("truncated stream still finished: %+v", d)
			}
		}},
		{"truncate_clean", Fault{Kind: Truncate, Clean: true}, func(t *testing.T, o outcome, d decoded, derr error) {
			if o.err != nil || derr != nil {
				t.Fatalf("clean truncation should read and parse: %v / %v", o.err, derr)
			}
			if d.finish != "" || d.done || d.events == 0 {
				t.Errorf("want some events but no finish and no [DONE]: %+v", d)
			}
		}},
		{"corrupt", Fault{Kind: Corrupt, AfterChunks: 1}, func(t *testing.T, o outcome, d decoded, derr error) {
			if o.err != nil || derr == nil {
				t.Fatalf("want a clean read with a garbage event: read %v decode %v", o.err, derr)
			}
			if !bytes.Contains(o.body, []byte("garbage")) {
				t.Errorf("no garbage line in %q", o.body)
			}
		}},
		{"reset", Fault{Kind: Reset, AfterChunks: 1}, func(t *testing.T, o outcome, d decoded, _ error) {
			if o.status() != 200 || !isReset(o.err) {
				t.Errorf("status %d err %v, want 200 then a reset", o.status(), o.err)
			}
		}},
		{"hang", Fault{Kind: Hang, AfterChunks: 1}, func(t *testing.T, o outcome, d decoded, _ error) {
			if o.status() != 200 || !isTimeout(o.err) || d.events == 0 {
				t.Errorf("status %d err %v events %d, want 200, events, then the client timeout", o.status(), o.err, d.events)
			}
		}},
	}
	for _, tc := range cases {
		for _, tg := range streamTargets {
			t.Run(tc.name+"/"+tg.name, func(t *testing.T) {
				t.Parallel()
				s := New(t, WithScript(Always(tc.fault)), WithChunkWords(1))
				o := outcome{tg: tg}
				o.resp, o.body, o.err = fetch(t, client(t, 300*time.Millisecond), s, tg)
				d, derr := decode(tg, o.body)
				tc.check(t, o, d, derr)
				s.Close()
				if st := s.Stats(); st.Served != 0 || st.Usage != (Usage{}) {
					t.Errorf("a faulted stream counted as served: %+v", st)
				}
			})
		}
	}
}

// TestUnaryTruncation checks the non-stream variants of stream faults.
func TestUnaryTruncation(t *testing.T) {
	tg := target{"gemini", Gemini, false}
	s := New(t, WithScript(Queue(Fault{Kind: Truncate}, Fault{Kind: Truncate, Clean: true}, Fault{Kind: Corrupt})))
	c := client(t, time.Second)
	_, _, err := fetch(t, c, s, tg)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncate: %v, want unexpected EOF (short of Content-Length)", err)
	}
	for _, name := range []string{"clean", "corrupt"} {
		_, body, err := fetch(t, c, s, tg)
		var se *json.SyntaxError
		if _, derr := decode(tg, body); err != nil || !errors.As(derr, &se) && !strings.Contains(derr.Error(), "unexpected end") {
			t.Errorf("%s: read %v decode %v, want a readable body that is not JSON", name, err, derr)
		}
	}
}

// TestGeminiStreamWithoutSSE covers streamGenerateContent's default
// framing: one JSON array of responses.
func TestGeminiStreamWithoutSSE(t *testing.T) {
	s := New(t)
	resp, err := client(t, time.Second).Post(s.GeminiBase+"/models/m:streamGenerateContent", "application/json", strings.NewReader(geminiBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var arr []gemResponse
	if err := json.NewDecoder(resp.Body).Decode(&arr); err != nil {
		t.Fatal(err)
	}
	var text string
	for _, r := range arr {
		text += r.Candidates[0].Content.Parts[0].Text
	}
	if len(arr) < 2 || text != "Answer from m: What is the capital of France?" || arr[len(arr)-1].UsageMetadata.CandidatesTokenCount == 0 {
		t.Errorf("array of %d, text %q", len(arr), text)
	}
}

// TestEnormousIsNotBuffered streams 16 MiB and checks the process
// allocated far less than that: the fake writes the text piecewise.
func TestEnormousIsNotBuffered(t *testing.T) {
	const size = 16 << 20
	s := New(t, WithScript(Always(Fault{Kind: Enormous, Size: size})))
	c := client(t, 30*time.Second)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := post(t.Context(), c, s, target{proto: OpenAI})
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n < size {
		t.Fatalf("read %d bytes, err %v", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("allocated %d bytes to serve %d: the body was buffered", alloc, n)
	}
	if st := s.Stats(); st.Usage.Output != enormousWords(size) {
		t.Errorf("usage %+v, want %d output tokens", st.Usage, enormousWords(size))
	}
}

func TestStreamWithoutIncludeUsageIsUnreported(t *testing.T) {
	s := New(t)
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi there"}]}`
	resp, err := client(t, time.Second).Post(s.OpenAIBase+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "prompt_tokens") || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Fatalf("status %d body %s", resp.StatusCode, b)
	}
	st := s.Stats()
	want := Usage{Input: 2, Output: int64(CountTokens("Answer from m: hi there"))}
	if st.Usage != (Usage{}) || st.Unreported != want {
		t.Errorf("usage %+v unreported %+v, want none and %+v", st.Usage, st.Unreported, want)
	}
}
