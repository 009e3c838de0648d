package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// maxBatch is the API's limit of requests per batchEmbedContents call.
const maxBatch = 100

var _ provider.ModelEmbedder = (*Client)(nil)

type embedRequest struct {
	Model   string  `json:"model"`
	Content Content `json:"content"`
}

type batchEmbedResponse struct {
	Embeddings []struct {
		Values []float32 `json:"values"`
	} `json:"embeddings"`
}

// EmbedModel embeds texts with batchEmbedContents, in batches of 100.
func (c *Client) EmbedModel(ctx context.Context, model string, texts []string) ([][]float32, error) {
	model = strings.TrimPrefix(model, "models/")
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += maxBatch {
		vecs, err := c.embedBatch(ctx, model, texts[start:min(start+maxBatch, len(texts))])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (c *Client) embedBatch(ctx context.Context, model string, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	call := upstream.Call{Provider: "gemini", Model: model, Secrets: []string{c.cfg.APIKey}}
	reqs := make([]embedRequest, len(texts))
	for i, t := range texts {
		reqs[i] = embedRequest{Model: "models/" + model, Content: Content{Parts: []Part{{Text: t}}}}
	}
	body, err := json.Marshal(map[string]any{"requests": reqs})
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "gemini: encode embed request")
	}
	u := c.cfg.BaseURL + "/v1beta/models/" + url.PathEscape(model) + ":batchEmbedContents"
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, err, "gemini: base URL %q", c.cfg.BaseURL)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("x-goog-api-key", c.cfg.APIKey)
	resp, err := call.Do(ctx, c.hc, hr, ParseError)
	if err != nil {
		return nil, err
	}
	defer upstream.DrainClose(resp.Body)
	b, err := call.Body(ctx, resp.Body, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	var w batchEmbedResponse
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, call.Malformed(err)
	}
	if len(w.Embeddings) != len(texts) {
		return nil, call.Malformed(fmt.Errorf("%d embeddings for %d texts", len(w.Embeddings), len(texts)))
	}
	out := make([][]float32, len(texts))
	for i, e := range w.Embeddings {
		out[i] = e.Values
	}
	return out, nil
}
