package server

import (
	"bytes"
	"context"
	"errors"
	"go.yaml.in/yaml/v3"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/llmrouter/llmrouter/internal/provider"
)

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("../../configs/router.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != ":8080" || len(cfg.Auth.Keys) != 1 || cfg.Auth.Keys[0].SHA256 != HashKey("sk-example-team-a") {
		t.Errorf("auth/listen not as documented: %+v", cfg.Auth)
	}
	if cfg.Budgets.Keys["team-a"] != 100 || cfg.Limits.MaxBodyBytes != 20<<20 || cfg.Limits.RequestTimeout != 5*time.Minute {
		t.Errorf("budgets/limits not as documented: %+v %+v", cfg.Budgets, cfg.Limits)
	}
	if got := cfg.Fallbacks["gemini-2.5-pro"]; len(got) != 2 {
		t.Errorf("fallbacks %v", got)
	}
}

func TestEmptyConfigUsesDefaults(t *testing.T) {
	cfg, err := ParseConfig(nil, "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := cfg.Catalogue()
	if err != nil || len(cat.Models) == 0 || cfg.Limits.MaxBodyBytes != 20<<20 || cfg.Spend.SQLitePath != "./data/spend.db" {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown setting", "limts: {}", "field limts not found"},
		{"bad yaml", "listen: [", "bad.yaml"},
		{"negative budget", "budgets: {global_usd: -5}", "budgets.global_usd: must be a finite number >= 0"},
		{"bad period", "budgets: {period: weekly}", "budgets.period"},
		{"threshold above 1", "router: {threshold: 1.5}", "router.threshold: must be in [0, 1], got 1.5"},
		{"threshold below 0", "router: {threshold: -0.1}", "router.threshold"},
		{"unknown fallback target", "fallbacks: {gemini-2.5-pro: [gpt-9]}", `fallbacks.gemini-2.5-pro[0]: unknown model "gpt-9"`},
		{"unknown fallback source", "fallbacks: {gpt-9: [gemini-2.5-pro]}", "fallbacks.gpt-9: unknown model"},
		{"self fallback", "fallbacks: {gemini-2.5-pro: [gemini-2.5-pro]}", "cannot fall back to itself"},
		{"unknown policy mode", "policy_mapping: {mode: magic}", "policy_mapping"},
		{"unknown policy label", "policy_mapping: {static: {Weird_Query: gemini-2.5-pro}}", "policy_mapping"},
		{"mapping to unknown model", "policy_mapping: {strong_model: gpt-9}", "gpt-9"},
		{"plain key instead of hash", "auth: {keys: [{id: a, sha256: sk-123}]}", "auth.keys[0].sha256: must be 64 hex digits"},
		{"duplicate key id", "auth: {keys: [{id: a, sha256: " + HashKey("x") + "}, {id: a, sha256: " + HashKey("y") + "}]}", "duplicate id"},
		{"budget for unknown key", "budgets: {keys: {ghost: 5}}", "budgets.keys.ghost: no auth key"},
		{"bad log format", "log_format: xml", "log_format"},
		{"negative log flush interval", "log_flush_interval: -1s", "log_flush_interval"},
		{"log flush interval too long", "log_flush_interval: 2m", "log_flush_interval"},
		{"reserved model name", "models: {router-x: {provider: gemini, price: {input: 1, output: 1}}}", "reserved"},
		{"bad provider", "models: {m: {provider: azure, price: {input: 1, output: 1}}}", "models.m"},
		{"negative price", "models: {m: {provider: gemini, price: {input: -1, output: 1}}}", "price"},
		{"negative timeout", "limits: {request_timeout: -1s}", "limits.request_timeout"},
		{"negative body limit", "limits: {max_body_bytes: -1}", "limits.max_body_bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml), "bad.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line containing %q", err, tc.want)
			}
		})
	}
}

// FuzzParseConfig: any bytes give a config or a one-line error, never a panic.
func FuzzParseConfig(f *testing.F) {
	if data, err := os.ReadFile("../../configs/router.example.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("budgets: {global_usd: -1}"))
	f.Add([]byte("fallbacks: {a: [b]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseConfig(data, "fuzz.yaml"); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %q", err)
		}
	})
}

func TestAuth(t *testing.T) {
	yaml := baseYAML + "auth:\n  keys:\n    - {id: alice, sha256: " + HashKey("sk-alice") + "}\n    - {id: bob, sha256: " + HashKey("sk-bob") + "}\n"
	g := startGW(t, yaml, withProviders(map[string]provider.Provider{"cheap": answering("cheap", 1, 1)}))
	body := `{"model":"cheap","messages":[{"role":"user","content":"x"}]}`
	tests := []struct {
		name, method, path, auth string
		status                   int
	}{
		{"chat without key", "POST", "/v1/chat/completions", "", 401},
		{"chat with wrong key", "POST", "/v1/chat/completions", "Bearer sk-mallory", 401},
		{"chat with hash as key", "POST", "/v1/chat/completions", "Bearer " + HashKey("sk-alice"), 401},
		{"chat with basic auth", "POST", "/v1/chat/completions", "Basic c2stYWxpY2U6", 401},
		{"chat with key", "POST", "/v1/chat/completions", "Bearer sk-alice", 200},
		{"lower-case scheme", "POST", "/v1/chat/completions", "bearer sk-bob", 200},
		{"models without key", "GET", "/v1/models", "", 401},
		{"metrics without key", "GET", "/metrics", "", 401},
		{"metrics with key", "GET", "/metrics", "Bearer sk-bob", 200},
		{"unknown path without key", "GET", "/v1/secret", "", 401},
		{"healthz without key", "GET", "/healthz", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var status int
			var resp string
			if tc.method == "POST" {
				status, _, resp = g.post(tc.path, body, "Authorization", tc.auth)
			} else {
				status, _, resp = g.get(tc.path, "Authorization", tc.auth)
			}
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, resp)
			}
			if status == 401 && !strings.Contains(resp, `"type":"authentication_error"`) {
				t.Errorf("401 body %s", resp)
			}
		})
	}
	_, _, metricsBody := g.get("/metrics", "Authorization", "Bearer sk-bob")
	if strings.Contains(metricsBody, "/v1/secret") || !strings.Contains(metricsBody, `llmrouter_http_requests_total{code="401",endpoint="other"} 1`) {
		t.Error("unauthenticated paths must not become metric labels")
	}
	recs := g.waitRecords(2)
	if recs[0].KeyID == recs[1].KeyID || (recs[0].KeyID != "alice" && recs[0].KeyID != "bob") {
		t.Errorf("records carry key ids %q, %q", recs[0].KeyID, recs[1].KeyID)
	}
	if strings.Contains(g.logs.String(), "sk-alice") || strings.Contains(g.logs.String(), "sk-bob") {
		t.Error("a gateway key reached the logs")
	}
	// The official client authenticates the same way.
	g.key = "sk-alice"
	c := g.client()
	if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "cheap", Messages: userMsg("x")}); err != nil {
		t.Fatal(err)
	}
	g.waitRecords(3)
}

// TestGracefulShutdown cancels the serve context while a stream is in
// flight: the stream completes, /healthz turns 503 meanwhile, and Serve
// returns cleanly.
func TestGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	slow := &slowStream{release: release}
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": slow}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.srv.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	resp, err := http.Post(url+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"cheap","stream":true,"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 10)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !g.srv.draining.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	rec := httptestRecorder(g)
	if rec != http.StatusServiceUnavailable {
		t.Errorf("healthz while draining: %d", rec)
	}
	close(release)
	rest, err := readAll(resp)
	if err != nil || !strings.HasSuffix(rest, "data: [DONE]\n\n") {
		t.Errorf("in-flight stream was not completed: %q %v", rest, err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	g.waitRecords(1)
}

// TestKubernetesConfigMapLoads keeps deploy/kubernetes.yaml's router.yaml
// valid as the config evolves.
func TestKubernetesConfigMapLoads(t *testing.T) {
	data, err := os.ReadFile("../../deploy/kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	found := false
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if doc.Kind == "ConfigMap" {
			found = true
			cfg, err := ParseConfig([]byte(doc.Data["router.yaml"]), "kubernetes.yaml ConfigMap")
			if err != nil {
				t.Fatal(err)
			}
			// One spend store for every replica, budgets and limits in Redis.
			if cfg.Spend.RedisURLEnv != "LLMROUTER_REDIS_URL" || cfg.Spend.PostgresURLEnv != "LLMROUTER_POSTGRES_URL" ||
				len(cfg.Auth.AdminKeys) != 1 || !cfg.RateLimits.Enabled() {
				t.Errorf("spend settings %+v, admin keys %v, rate limits %+v", cfg.Spend, cfg.Auth.AdminKeys, cfg.RateLimits)
			}
		}
	}
	if !found {
		t.Fatal("no ConfigMap in deploy/kubernetes.yaml")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, yaml, want string }{
		{"missing router model", "router: {model_path: " + dir + "/nope}\nspend: {sqlite_path: " + dir + "/a.db}", "router.model_path: model directory"},
		{"empty redis env", "spend: {sqlite_path: " + dir + "/b.db, redis_url_env: NOT_SET}", "spend.redis_url_env: environment variable NOT_SET is empty"},
		{"bad redis url", "spend: {sqlite_path: " + dir + "/c.db, redis_url_env: BAD_URL}", "spend.redis_url_env: redis url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tc.yaml), "open.yaml")
			if err != nil {
				t.Fatal(err)
			}
			getenv := func(k string) string {
				if k == "BAD_URL" {
					return "http://user:hunter2@x"
				}
				return ""
			}
			_, _, err = Open(context.Background(), cfg, OpenOptions{Getenv: getenv})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("err = %v, want %q and no password", err, tc.want)
			}
		})
	}
}
