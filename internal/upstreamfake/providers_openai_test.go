package upstreamfake_test

import (
	"net/http"
	"time"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/openai"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

func init() {
	clients = append(clients, client{"openai", "gpt-4o-mini", func(s *fake.Server, hc *http.Client, timeout time.Duration) provider.Provider {
		return openai.New(openai.Config{BaseURL: s.OpenAIBase, APIKey: apiKey, HTTPClient: hc,
			Timeout: timeout, StreamIdleTimeout: timeout, MaxBodyBytes: maxBody})
	}})
}
