package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// embedBatch bounds inputs per /embeddings call (OpenAI allows 2048; local
// servers often far fewer).
const embedBatch = 100

var _ provider.ModelEmbedder = (*Client)(nil)

type embeddingsResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
	Error json.RawMessage `json:"error,omitempty"`
}

// EmbedModel embeds texts with POST /embeddings, in batches.
func (c *Client) EmbedModel(ctx context.Context, model string, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += embedBatch {
		vecs, err := c.embed(ctx, model, texts[start:min(start+embedBatch, len(texts))])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (c *Client) embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	call := upstream.Call{Provider: c.cfg.Name, Model: model, Secrets: []string{c.cfg.APIKey}}
	body, err := json.Marshal(map[string]any{"model": model, "input": texts, "encoding_format": "float"})
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "%s: encode embeddings request", c.cfg.Name)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/embeddings", bytes.NewReader(body))
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, err, "%s: base_url %q", c.cfg.Name, c.cfg.BaseURL)
	}
	hr.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := call.Do(ctx, c.hc, hr, ParseError)
	if err != nil {
		return nil, err
	}
	defer upstream.DrainClose(resp.Body)
	b, err := call.Body(ctx, resp.Body, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	var w embeddingsResponse
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, call.Malformed(err)
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		return nil, inBandError(call, w.Error)
	}
	out := make([][]float32, len(texts))
	for _, d := range w.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, call.Malformed(fmt.Errorf("embedding index %d invalid or repeated for %d texts", d.Index, len(texts)))
		}
		out[d.Index] = d.Embedding
	}
	for i, v := range out {
		if v == nil {
			return nil, call.Malformed(fmt.Errorf("no embedding for input %d", i))
		}
	}
	return out, nil
}
