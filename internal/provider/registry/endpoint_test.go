package registry

import (
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
)

func TestEndpoint(t *testing.T) {
	cat := &catalog.Catalogue{Models: map[string]catalog.Model{
		"g": {Provider: "gemini"},
		"o": {Provider: "openai", BaseURL: "http://local/v1", APIKeyEnv: "O_KEY"},
	}}
	env := map[string]string{GeminiKeyEnv: "gk", GeminiBaseEnv: "http://proxy", "O_KEY": "ok"}
	r := New(cat, Options{Getenv: func(k string) string { return env[k] }})
	if base, key, err := r.Endpoint("g"); err != nil || base != "http://proxy" || key != "gk" {
		t.Errorf("g: %q %q %v", base, key, err)
	}
	if base, key, err := r.Endpoint("o"); err != nil || base != "http://local/v1" || key != "ok" {
		t.Errorf("o: %q %q %v", base, key, err)
	}
	delete(env, "O_KEY")
	if _, _, err := r.Endpoint("o"); err == nil || !strings.Contains(err.Error(), "O_KEY") {
		t.Errorf("missing key: %v", err)
	}
	if _, _, err := r.Endpoint("nope"); err == nil {
		t.Error("unknown model accepted")
	}
}
