package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// bodies records each upstream request body by protocol.
type bodies struct {
	mu sync.Mutex
	by map[upstreamfake.Protocol][]byte
}

func (b *bodies) answer(req *upstreamfake.Request) upstreamfake.Reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.by[req.Protocol] = req.Body
	return upstreamfake.DefaultAnswer(req)
}

func (b *bodies) get(p upstreamfake.Protocol) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.by[p]
}

// mediaParts is one of each part type, as the openai-go client sends them.
func mediaParts() []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("describe these"),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,iVBORw0KGgo=", Detail: "low"}),
		openai.InputAudioContentPart(openai.ChatCompletionContentPartInputAudioInputAudioParam{Data: "UklGRg==", Format: "wav"}),
		openai.FileContentPart(openai.ChatCompletionContentPartFileFileParam{
			FileData: openai.String("data:application/pdf;base64,JVBERi0="), Filename: openai.String("a.pdf")}),
	})}
}

// messagesOf is the part of an upstream body that carries the turns.
func messagesOf(t *testing.T, body []byte, field string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("upstream body %s: %v", body, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, m[field], "", "  "); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), '\n')
}

// TestE2EMediaBothProtocols sends an image, audio and a file as data
// URLs through the real client and checks what each upstream received:
// inlineData parts for Gemini, the parts unchanged for OpenAI. The fake
// bills each media part, so the recorded input tokens show media billed.
func TestE2EMediaBothProtocols(t *testing.T) {
	b := &bodies{by: map[upstreamfake.Protocol][]byte{}}
	r := startReal(t, "", upstreamfake.WithAnswer(b.answer))
	c := r.client()
	for _, tc := range []struct {
		model, field, golden string
		proto                upstreamfake.Protocol
	}{
		{"flash", "contents", "testdata/media_gemini.golden", upstreamfake.Gemini},
		{"mini", "messages", "testdata/media_openai.golden", upstreamfake.OpenAI},
	} {
		out, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: tc.model, Messages: mediaParts()})
		if err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		if !strings.HasSuffix(out.Choices[0].Message.Content, "describe these") {
			t.Errorf("%s: answer %q", tc.model, out.Choices[0].Message.Content)
		}
		if min := int64(3 * upstreamfake.MediaTokens); out.Usage.PromptTokens < min {
			t.Errorf("%s: prompt_tokens %d, want media counted (>= %d)", tc.model, out.Usage.PromptTokens, min)
		}
		golden.Check(t, tc.golden, messagesOf(t, b.get(tc.proto), tc.field))
	}
	r.ts.Close() // drain, so every record is written
	if sum := r.summary(); sum.InputTokens < 6*upstreamfake.MediaTokens {
		t.Errorf("recorded input tokens %d, want the media billed", sum.InputTokens)
	}
}

// TestE2ERemoteImageToGemini: without fetching, a remote URL is a 400
// naming the setting for Gemini, and goes unchanged to OpenAI.
func TestE2ERemoteImageToGemini(t *testing.T) {
	b := &bodies{by: map[upstreamfake.Protocol][]byte{}}
	r := startReal(t, "", upstreamfake.WithAnswer(b.answer))
	c := r.client()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("what is this"),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/cat.png"}),
	})}
	_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "flash", Messages: msgs})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "multimodal.fetch_remote") ||
		apiErr.Param != "messages[0].content[1].image_url.url" {
		t.Fatalf("flash with a remote image: %v, want a 400 naming multimodal.fetch_remote", err)
	}
	if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "mini", Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	if body := b.get(upstreamfake.OpenAI); !bytes.Contains(body, []byte(`"url":"https://example.com/cat.png"`)) {
		t.Errorf("OpenAI upstream got %s, want the remote URL unchanged", body)
	}
}

// TestE2EFetchRemoteRefusals: with fetching on, the gateway still refuses
// an allow-listed name that resolves to loopback (an httptest server on
// 127.0.0.1) and any host not allow-listed; both are 400s on the URL.
func TestE2EFetchRemoteRefusals(t *testing.T) {
	img := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("png"))
	}))
	defer img.Close()
	u, _ := url.Parse(img.URL)
	r := startReal(t, "multimodal: {fetch_remote: true, allow_hosts: [localhost], timeout: 1s}")
	c := r.client()
	for url, want := range map[string]string{
		"https://localhost:" + u.Port() + "/cat.png": "loopback",
		"https://example.com/cat.png":                "allow_hosts",
	} {
		msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("what is this"),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: url}),
		})}
		_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "flash", Messages: msgs})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, want) {
			t.Errorf("%s: %v %s, want a 400 naming %s", url, err, apiErr.RawJSON(), want)
		}
	}
	if n := fakeStats(t, r.fake).Calls; n != 0 {
		t.Errorf("%d upstream calls, want none", n)
	}
}
