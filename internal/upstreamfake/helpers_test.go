package upstreamfake

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client is a fresh HTTP client whose idle connections are closed at the
// end of the test, so goleak sees no keep-alive goroutines.
func client(tb testing.TB, timeout time.Duration) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

const (
	geminiBody = `{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"What is the capital of France?"}]}]}`
	openaiBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the capital of France?"}]}`
)

// target is one endpoint variant exercised by the table tests.
type target struct {
	name   string
	proto  Protocol
	stream bool
}

var targets = []target{
	{"gemini", Gemini, false},
	{"gemini_sse", Gemini, true},
	{"openai", OpenAI, false},
	{"openai_sse", OpenAI, true},
}

// post sends the standard request for tg and returns the response.
func post(ctx context.Context, c *http.Client, s *Server, tg target) (*http.Response, error) {
	var url, body string
	switch tg.proto {
	case Gemini:
		url, body = s.GeminiBase+"/models/gemini-2.5-flash:generateContent", geminiBody
		if tg.stream {
			url = s.GeminiBase + "/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
		}
	case OpenAI:
		url, body = s.OpenAIBase+"/chat/completions", openaiBody
		if tg.stream {
			body = `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the capital of France?"}]}`
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

// fetch posts and reads the whole body, returning the read error too.
func fetch(tb testing.TB, c *http.Client, s *Server, tg target) (*http.Response, []byte, error) {
	tb.Helper()
	resp, err := post(context.Background(), c, s, tg)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
