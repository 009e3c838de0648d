package upstreamfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/golden"
)

// TestWireGolden pins the exact bytes of a normal answer in each protocol.
func TestWireGolden(t *testing.T) {
	s := New(t, WithAnswer(func(r *Request) Reply {
		return Reply{Text: "Paris is the capital of France.", ThinkingTokens: 4}
	}))
	c := client(t, 5*time.Second)
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			resp, body, err := fetch(t, c, s, tg)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			golden.Check(t, filepath.Join("testdata", tg.name+".golden"), body)
		})
	}
	st := s.Stats()
	// Every answer: 8 prompt words (system + user), 6 answer words, 4 thinking.
	want := Usage{Input: 4 * 8, Output: 4 * 6, Thinking: 4 * 4}
	if st.Usage != want || st.Served != 4 || st.Calls != 4 {
		t.Errorf("stats = calls %d served %d usage %+v, want 4, 4, %+v", st.Calls, st.Served, st.Usage, want)
	}
}

// TestGeminiStreamEventsParse checks each SSE event is one complete
// GenerateContentResponse and the text reassembles exactly.
func TestGeminiStreamEventsParse(t *testing.T) {
	s := New(t, WithChunkWords(1))
	c := client(t, 5*time.Second)
	_, body, err := fetch(t, c, s, target{proto: Gemini, stream: true})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var last gemResponse
	events := strings.Split(strings.TrimSuffix(string(body), "\r\n\r\n"), "\r\n\r\n")
	for _, ev := range events {
		payload, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			t.Fatalf("event without data prefix: %q", ev)
		}
		last = gemResponse{}
		if err := json.Unmarshal([]byte(payload), &last); err != nil {
			t.Fatalf("event %q: %v", payload, err)
		}
		text.WriteString(last.Candidates[0].Content.Parts[0].Text)
	}
	want := "Answer from gemini-2.5-flash: What is the capital of France?"
	if text.String() != want {
		t.Errorf("text = %q, want %q", text.String(), want)
	}
	if len(events) != CountTokens(want) {
		t.Errorf("%d events, want one per word (%d)", len(events), CountTokens(want))
	}
	if last.Candidates[0].FinishReason != "STOP" || last.UsageMetadata.CandidatesTokenCount != int64(CountTokens(want)) {
		t.Errorf("last event = %+v", last)
	}
}

func TestMaxTokensCutsAnswer(t *testing.T) {
	s := New(t)
	c := client(t, 5*time.Second)
	for _, tc := range []struct {
		name, url, body, wantFinish string
	}{
		{"gemini", s.GeminiBase + "/models/m:generateContent", `{"contents":[{"parts":[{"text":"one two three four"}]}],"generationConfig":{"maxOutputTokens":2}}`, `"finishReason":"MAX_TOKENS"`},
		{"openai", s.OpenAIBase + "/chat/completions", `{"model":"m","max_tokens":2,"messages":[{"role":"user","content":"one two three four"}]}`, `"finish_reason":"length"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Post(tc.url, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			if !strings.Contains(b.String(), tc.wantFinish) || !strings.Contains(b.String(), `"Answer from"`) {
				t.Errorf("body %s: want %s and the text cut to 2 words", b.String(), tc.wantFinish)
			}
		})
	}
}
