package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func catalogue(t *testing.T) *catalog.Catalogue {
	t.Helper()
	c, err := catalog.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func noSleep(context.Context, time.Duration) error { return nil }

var recorded = []dataset.RecordedItem{{ID: "m1", Benchmark: "mmlu", Prompt: "2+2=?\nA. 3\nB. 4", CheapCorrect: false, StrongCorrect: true}}

func ask(q string) *provider.Request {
	return &provider.Request{Messages: []provider.Message{{Role: "user", Content: q}}}
}

func TestGetErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cat := catalogue(t)
	cat.Models["gem-file"] = catalog.Model{Provider: "gemini", APIKeyFile: filepath.Join(dir, "missing")}
	cat.Models["gem-empty-file"] = catalog.Model{Provider: "gemini", APIKeyFile: empty}
	cat.Models["gem-custom-env"] = catalog.Model{Provider: "gemini", APIKeyEnv: "MY_GEMINI_KEY"}
	tests := []struct {
		name, model, want string
	}{
		{"unknown model", "gpt-5-ultra", `unknown model "gpt-5-ultra" (known: gem-custom-env, gem-empty-file, gem-file, gemini-2.5-flash, gemini-2.5-pro`},
		{"gemini without key", "gemini-2.5-pro", "model gemini-2.5-pro needs an API key: set GEMINI_API_KEY"},
		{"custom env", "gem-custom-env", "model gem-custom-env needs an API key: set MY_GEMINI_KEY"},
		{"openai without key", "gpt-4o", "model gpt-4o needs an API key: set OPENAI_API_KEY"},
		{"missing key file", "gem-file", "model gem-file: api_key_file " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"empty key file", "gem-empty-file", "api_key_file " + empty + " is empty"},
	}
	r := New(cat, Options{Getenv: envOf(nil)})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := r.Get(tc.model)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Get err = %v, want %q", err, tc.want)
			}
			if err := r.CheckKey(tc.model); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckKey err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
}

func TestCheckKeyOK(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	if err := os.WriteFile(f, []byte("file-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cat := catalogue(t)
	cat.Models["gem-file"] = catalog.Model{Provider: "gemini", APIKeyFile: f}
	cat.Models["local"] = catalog.Model{Provider: "openai", BaseURL: "http://127.0.0.1:1/v1"}
	r := New(cat, Options{Getenv: envOf(map[string]string{"GEMINI_API_KEY": "k", "OPENAI_API_KEY": "k"})})
	for _, m := range []string{"gemini-2.5-flash", "gpt-4o", "gem-file", "local", "mixtral-8x7b-instruct"} {
		if err := r.CheckKey(m); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
}

func TestGeminiViaBaseURLEnv(t *testing.T) {
	u := pt.NewUpstream(t,
		pt.Reply{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: []byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`)},
		pt.Reply{Body: pt.MustRead(t, "../gemini/testdata/responses/text.json")})
	r := New(catalogue(t), Options{
		Getenv:     envOf(map[string]string{"GEMINI_API_KEY": "secret-key-123", "GEMINI_BASE_URL": u.URL}),
		HTTPClient: u.Client(), Retry: provider.RetryOptions{Sleep: noSleep},
	})
	p, m, err := r.Get("gemini-2.5-pro")
	if err != nil {
		t.Fatal(err)
	}
	if m.UpstreamModel != "gemini-2.5-pro" || m.Price.Output != 10 {
		t.Errorf("model = %+v", m)
	}
	resp, err := p.Complete(context.Background(), ask("capital of Australia?"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage.ThinkingTokens != 420 || u.Calls() != 2 {
		t.Fatalf("usage %+v calls %d (want a retry after the 429)", resp.Usage, u.Calls())
	}
	got := u.Request(1)
	if got.Path != "/v1beta/models/gemini-2.5-pro:generateContent" || got.Header.Get("x-goog-api-key") != "secret-key-123" {
		t.Errorf("request %s key %q", got.Path, got.Header.Get("x-goog-api-key"))
	}
}

func TestOpenAIKeylessLocal(t *testing.T) {
	u := pt.NewUpstream(t, pt.Reply{Body: pt.MustRead(t, "../openai/testdata/responses/no_usage.json")})
	cat := catalogue(t)
	cat.Models["llama"] = catalog.Model{Provider: "openai", BaseURL: u.URL + "/v1", UpstreamModel: "llama3.2"}
	r := New(cat, Options{Getenv: envOf(nil), HTTPClient: u.Client()})
	p, _, err := r.Get("llama")
	if err != nil {
		t.Fatal(err)
	}
	req := ask("capital of France?")
	req.Model = "llama" // the catalogue name: the registry sends the upstream id
	if _, err := p.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(u.Request(0).Body), `"model":"llama3.2"`) || u.Request(0).Header.Get("Authorization") != "" {
		t.Errorf("body %s auth %q", u.Request(0).Body, u.Request(0).Header.Get("Authorization"))
	}
	if req.Model != "llama" {
		t.Error("caller's request was modified")
	}
}

func TestReplayModels(t *testing.T) {
	loads := 0
	r := New(catalogue(t), Options{Getenv: envOf(nil), Replay: func() (provider.Provider, error) {
		loads++
		return replay.New(recorded, replay.Options{})
	}})
	for model, want := range map[string]string{"mixtral-8x7b-instruct": "INCORRECT", "gpt-4-1106-preview": "CORRECT"} {
		p, m, err := r.Get(model)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := p.Complete(context.Background(), ask("2+2=?\nA. 3\nB. 4"))
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if g, ok := grade.ParseRecordedOutcome(resp.Text); !ok || g != want {
			t.Errorf("%s: %q", model, resp.Text)
		}
		if resp.Model != m.UpstreamModel {
			t.Errorf("model %q, want %q", resp.Model, m.UpstreamModel)
		}
	}
	if loads != 1 {
		t.Errorf("recorded data loaded %d times, want 1", loads)
	}
}

func TestReplayLoadError(t *testing.T) {
	r := New(catalogue(t), Options{Replay: func() (provider.Provider, error) { return nil, errors.New("recorded data: corrupt") }})
	_, _, err := r.Get("gpt-4-1106-preview")
	if err == nil || !strings.Contains(err.Error(), "model gpt-4-1106-preview: recorded data: corrupt") {
		t.Fatalf("err = %v", err)
	}
}

// Without a replay constructor (the gateway package links none) a replayed
// model is refused, saying why, rather than served from nowhere.
func TestReplayUnavailable(t *testing.T) {
	_, _, err := New(catalogue(t), Options{}).Get("gpt-4-1106-preview")
	if err == nil || !strings.Contains(err.Error(), "replay provider (recorded benchmark) is not available here") {
		t.Fatalf("err = %v", err)
	}
}

func TestGetCachedConcurrent(t *testing.T) {
	r := New(catalogue(t), Options{Getenv: envOf(map[string]string{"GEMINI_API_KEY": "k"})})
	var wg sync.WaitGroup
	got := make([]provider.Provider, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _, err := r.Get("gemini-2.5-flash")
			if err != nil {
				t.Error(err)
			}
			got[i] = p
		}()
	}
	wg.Wait()
	for _, p := range got[1:] {
		if p != got[0] {
			t.Fatal("Get returned different providers for one model")
		}
	}
}

func TestRejectedNotRetried(t *testing.T) {
	u := pt.NewUpstream(t, pt.Reply{Status: 401, Body: pt.MustRead(t, "../gemini/testdata/errors/401_unauthenticated.json")})
	r := New(catalogue(t), Options{Getenv: envOf(map[string]string{"GEMINI_API_KEY": "bad-key-value", "GEMINI_BASE_URL": u.URL}),
		HTTPClient: u.Client(), Retry: provider.RetryOptions{Sleep: noSleep}})
	p, _, err := r.Get("gemini-2.5-pro")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Complete(context.Background(), ask("hi"))
	if apierr.CodeOf(err) != apierr.UpstreamRejected || u.Calls() != 1 {
		t.Fatalf("err %v calls %d", err, u.Calls())
	}
	if err.Error() != "gemini: gemini-2.5-pro: 401 UNAUTHENTICATED: API key not valid" {
		t.Errorf("message = %q", err.Error())
	}
}
