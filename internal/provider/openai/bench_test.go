package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// benchResponses are the bodies the decode benchmarks read: a recorded
// OpenAI reply and one of the same shape with a longer, multi-line answer.
var benchResponses = []struct{ name, path string }{
	{"recorded", "testdata/responses/text.json"},
	{"long_answer", "testdata/bench/response.json"},
}

// benchRequest is a system prompt and a ~150-word user question with
// max_tokens and temperature, the shape of most gateway traffic.
func benchRequest(b *testing.B) *provider.Request {
	b.Helper()
	data, err := os.ReadFile("testdata/bench/request.in.json")
	if err != nil {
		b.Fatal(err)
	}
	var req provider.Request
	if err := json.Unmarshal(data, &req); err != nil {
		b.Fatal(err)
	}
	return &req
}

// BenchmarkEncodeRequest is ToWire plus the JSON encoding newRequest sends.
func BenchmarkEncodeRequest(b *testing.B) {
	req := benchRequest(b)
	c := New(Config{BaseURL: "http://127.0.0.1:1"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.encodeRequest(req, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeResponse is the body decode and conversion Complete does
// after reading a 200 reply.
func BenchmarkDecodeResponse(b *testing.B) {
	for _, bc := range benchResponses {
		b.Run(bc.name, func(b *testing.B) {
			body, err := os.ReadFile(bc.path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var w openaiapi.ChatResponse
				if err := openaiapi.DecodeResponse(body, &w); err != nil {
					b.Fatal(err)
				}
				if _, err := FromWire(&w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkComplete is one non-streamed call through net/http against a
// local server replaying a recorded body: the client's whole per-call cost
// plus the loopback round trip, which both sides of a comparison share.
func BenchmarkComplete(b *testing.B) {
	for _, bc := range benchResponses {
		b.Run(bc.name, func(b *testing.B) {
			body, err := os.ReadFile(bc.path)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			defer hc.CloseIdleConnections()
			c := New(Config{BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: hc})
			req := benchRequest(b)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Complete(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
