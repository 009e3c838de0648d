package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
)

const (
	keyA     = "sk-team-a"
	keyB     = "sk-team-b"
	adminKey = "sk-admin-ops"
)

// opsYAML is baseYAML with two client keys (team-b may use cheap only)
// and an admin key.
var opsYAML = baseYAML + fmt.Sprintf(`
auth:
  keys:
    - {id: team-a, sha256: %s}
    - {id: team-b, sha256: %s, models: [cheap]}
  admin_keys:
    - {id: ops, sha256: %s}
fallbacks: {cheap: [backup, strong]}
`, HashKey(keyA), HashKey(keyB), HashKey(adminKey))

func chatBody(model string) string {
	return fmt.Sprintf(`{"model":%q,"max_tokens":10,"messages":[{"role":"user","content":"hello"}]}`, model)
}

func bearerHdr(key string) []string { return []string{"Authorization", "Bearer " + key} }

func allProviders() map[string]provider.Provider {
	return map[string]provider.Provider{"cheap": answering("cheap", 100, 50), "strong": answering("strong", 100, 50), "backup": answering("backup", 100, 50)}
}

func TestAllowList(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		model   string
		score   float64 // the router's score; >= 0.5 routes to strong
		cheapUp bool
		status  int
		want    string // in the body
	}{
		{"direct allowed", keyB, "cheap", 0, true, 200, "cheap: hello"},
		{"direct forbidden", keyB, "strong", 0, true, 403, `key \"team-b\" may not use model \"strong\" (requested); its models: cheap`},
		{"router picks an allowed model", keyB, "router", 0.1, true, 200, "cheap: hello"},
		{"router picks a forbidden model", keyB, "router", 0.9, true, 403, `model \"strong\" (chosen by the router)`},
		{"fallbacks outside the list are skipped", keyB, "cheap", 0, false, 502, "upstream said no"},
		{"no list: everything", keyA, "strong", 0, true, 200, "strong: hello"},
		{"no list: fallbacks run", keyA, "cheap", 0, false, 200, "backup: hello"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := allProviders()
			if !tc.cheapUp {
				ps["cheap"] = failing(apierr.UpstreamUnavailable)
				ps["backup"] = failing(apierr.UpstreamUnavailable)
			}
			if tc.key == keyA && !tc.cheapUp {
				ps["backup"] = answering("backup", 100, 50)
			}
			g := startGW(t, opsYAML, withProviders(ps), withRouter(&fakeRouter{score: tc.score, threshold: 0.5}))
			status, _, body := g.post("/v1/chat/completions", chatBody(tc.model), bearerHdr(tc.key)...)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d body %s; want %d containing %s", status, body, tc.status, tc.want)
			}
			if status == 403 && !strings.Contains(body, `"param":"model"`) {
				t.Errorf("403 does not name the model param: %s", body)
			}
		})
	}
}

func TestAllowListCascadeNeedsBothModels(t *testing.T) {
	g := startGW(t, opsYAML, withProviders(allProviders()), withRouter(&fakeRouter{score: 0.1, threshold: 0.5}), withCascade(&fakeVerifier{score: 0.1, threshold: 0.5, skip: -1}))
	status, _, body := g.post("/v1/chat/completions", chatBody("router-cascade"), bearerHdr(keyB)...)
	if status != 403 || !strings.Contains(body, `model \"strong\" (which router-cascade may call)`) {
		t.Fatalf("status %d body %s", status, body)
	}
	if recs := g.waitRecords(1); recs[0].Status != "forbidden" || recs[0].CostUSD != 0 {
		t.Errorf("a refused request is recorded uncharged: %+v", recs[0])
	}
}

func TestRateLimitsPerKey(t *testing.T) {
	yaml := opsYAML + "rate_limits: {per_key: {requests_per_minute: 3}, keys: {team-b: {tokens_per_minute: 100000}}}\n"
	g := startGW(t, yaml, withProviders(allProviders()))
	for i := range 3 {
		status, h, body := g.post("/v1/chat/completions", chatBody("cheap"), bearerHdr(keyA)...)
		if status != 200 {
			t.Fatalf("request %d: %d %s", i, status, body)
		}
		if got := h.Get("X-Ratelimit-Remaining-Requests"); got != strconv.Itoa(2-i) || h.Get("X-Ratelimit-Limit-Requests") != "3" {
			t.Errorf("request %d: remaining %q, limit %q", i, got, h.Get("X-Ratelimit-Limit-Requests"))
		}
	}
	status, h, body := g.post("/v1/chat/completions", chatBody("cheap"), bearerHdr(keyA)...)
	ra, _ := strconv.Atoi(h.Get("Retry-After"))
	if status != 429 || ra < 1 || ra > 120 || !strings.Contains(body, `"code":"rate_limit_exceeded"`) ||
		!strings.Contains(body, "rate limit of key team-a reached") || h.Get("X-Ratelimit-Remaining-Requests") != "0" {
		t.Fatalf("4th request: %d Retry-After %q headers %v body %s", status, h.Get("Retry-After"), h, body)
	}
	// team-b has its own limit (tokens only): unaffected by team-a's.
	for i := range 5 {
		if status, _, body := g.post("/v1/chat/completions", chatBody("cheap"), bearerHdr(keyB)...); status != 200 {
			t.Fatalf("team-b request %d: %d %s", i, status, body)
		}
	}
	if _, _, m := g.get("/metrics", bearerHdr(adminKey)...); !strings.Contains(m, `llmrouter_rate_limited_total{scope="key"} 1`) {
		t.Errorf("metrics lack the refusal:\n%s", grepLines(m, "rate_limited"))
	}
}

// TestRateLimitTokensSettle: a request reserves its prompt estimate plus
// max_tokens, and is charged what the upstream reported when it ends.
func TestRateLimitTokensSettle(t *testing.T) {
	g := startGW(t, opsYAML+"rate_limits: {global: {tokens_per_minute: 1000}}\n", withProviders(allProviders()))
	big := `{"model":"cheap","max_tokens":300,"messages":[{"role":"user","content":"hello"}]}`
	// Each uses 150 tokens (100 in, 50 out) of the 309 it reserves: after
	// settling, five fit in 1000 tokens, where reservations alone allow three.
	for i := range 5 {
		if status, _, body := g.post("/v1/chat/completions", big, bearerHdr(keyA)...); status != 200 {
			t.Fatalf("request %d: %d %s", i, status, body)
		}
	}
	status, _, body := g.post("/v1/chat/completions", big, bearerHdr(keyA)...)
	if status != 429 || !strings.Contains(body, "rate limit of the gateway reached") {
		t.Fatalf("6th: %d %s", status, body)
	}
	status, _, body = g.post("/v1/chat/completions", `{"model":"cheap","max_tokens":5000,"messages":[{"role":"user","content":"x"}]}`, bearerHdr(keyA)...)
	if status != 429 || !strings.Contains(body, "lower max_tokens") {
		t.Fatalf("a request over the whole limit: %d %s", status, body)
	}
}

func TestBaselineCost(t *testing.T) {
	g := startGW(t, opsYAML, withProviders(allProviders()))
	if status, _, body := g.post("/v1/chat/completions", chatBody("cheap"), bearerHdr(keyA)...); status != 200 {
		t.Fatal(status, body)
	}
	r := g.waitRecords(1)[0]
	// 100 input + 50 output tokens at strong's $10/$20 per 1M.
	if want := (100*10.0 + 50*20.0) / 1e6; math.Abs(r.BaselineCostUSD-want) > 1e-12 || math.Abs(r.CostUSD-(100+50*2.0)/1e6) > 1e-12 {
		t.Errorf("record cost %v baseline %v, want baseline %v", r.CostUSD, r.BaselineCostUSD, want)
	}
	_, _, m := g.get("/metrics", bearerHdr(keyA)...)
	if !strings.Contains(m, `llmrouter_baseline_cost_usd_total{baseline_model="strong"} 0.002`) {
		t.Errorf("metrics:\n%s", grepLines(m, "baseline"))
	}
}

func TestBaselineModelSetting(t *testing.T) {
	g := startGW(t, opsYAML+"spend: {baseline_model: backup}\n", withProviders(allProviders()))
	g.post("/v1/chat/completions", chatBody("cheap"), bearerHdr(keyA)...)
	if r := g.waitRecords(1)[0]; math.Abs(r.BaselineCostUSD-(100+50*2.0)/1e6) > 1e-12 {
		t.Errorf("baseline on backup: %v", r.BaselineCostUSD)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestAdminAccess(t *testing.T) {
	g := startGW(t, opsYAML, withProviders(allProviders()))
	tests := []struct {
		name, method, path, key string
		status                  int
	}{
		{"usage without a key", "GET", "/v1/usage/summary", "", 401},
		{"usage with a client key", "GET", "/v1/usage/summary", keyA, 401},
		{"usage with the admin key", "GET", "/v1/usage/router", adminKey, 200},
		{"usage without a store that reports", "GET", "/v1/usage/summary", adminKey, 502},
		{"chat with the admin key", "POST", "/v1/chat/completions", adminKey, 401},
		{"dashboard page needs no key", "GET", "/ui/", "", 200},
		{"dashboard script", "GET", "/ui/app.js", "", 200},
		{"metrics with the admin key", "GET", "/metrics", adminKey, 200},
		{"metrics with a client key", "GET", "/metrics", keyA, 200},
		{"metrics without a key", "GET", "/metrics", "", 401},
		{"unknown view", "GET", "/v1/usage/everything", adminKey, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.key != "" {
				hdr = bearerHdr(tc.key)
			}
			var status int
			var h http.Header
			var body string
			if tc.method == "POST" {
				status, h, body = g.post(tc.path, chatBody("cheap"), hdr...)
			} else {
				status, h, body = g.get(tc.path, hdr...)
			}
			if status != tc.status {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, status, body)
			}
			if strings.HasPrefix(tc.path, "/ui/") && !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("no CSP on %s: %v", tc.path, h)
			}
		})
	}
}

func TestUsageNeedsAdminKeysConfigured(t *testing.T) {
	yaml := baseYAML + fmt.Sprintf("auth: {keys: [{id: team-a, sha256: %s}]}\n", HashKey(keyA))
	g := startGW(t, yaml)
	status, _, body := g.get("/v1/usage/summary", bearerHdr(keyA)...)
	if status != 403 || !strings.Contains(body, "auth.admin_keys") {
		t.Fatalf("%d %s", status, body)
	}
}

func TestOpsConfigErrors(t *testing.T) {
	h := HashKey("x")
	tests := []struct{ name, yaml, want string }{
		{"admin key without hash", "auth: {admin_keys: [{id: ops, sha256: sk-raw}]}", "auth.admin_keys[0].sha256: must be 64 hex digits"},
		{"admin id clashes", fmt.Sprintf("auth: {keys: [{id: ops, sha256: %s}], admin_keys: [{id: ops, sha256: %s}]}", h, h), "auth.admin_keys[0].id: \"ops\" is also a client key's id"},
		{"admin key with models", fmt.Sprintf("auth: {admin_keys: [{id: ops, sha256: %s, models: [gemini-2.5-pro]}]}", h), "auth.admin_keys[0].models"},
		{"unknown allowed model", fmt.Sprintf("auth: {keys: [{id: a, sha256: %s, models: [gpt-9]}]}", h), `auth.keys[0].models[0]: unknown model "gpt-9"`},
		{"negative rate", "rate_limits: {per_key: {requests_per_minute: -1}}", "rate_limits.per_key.requests_per_minute: must be >= 0"},
		{"rate limit for an unknown key", "rate_limits: {keys: {ghost: {requests_per_minute: 5}}}", "rate_limits.keys.ghost: no auth key has this id"},
		{"postgres url in place of a name", "spend: {postgres_url_env: 'postgres://u:p@h/db'}", "spend.postgres_url_env: must name an environment variable"},
		{"retention too short", "spend: {retention: 1d}", "spend.retention: must be at least 2d"},
		{"retention not a duration", "spend: {retention: forever}", "want a duration like 30d or 720h"},
		{"unknown baseline", "spend: {baseline_model: gpt-9}", `spend.baseline_model: unknown model "gpt-9"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml), "ops.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "u:p@h") {
				t.Errorf("error quotes the URL: %v", err)
			}
		})
	}
}

func TestOpsConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(baseYAML+"spend: {retention: 45d}\n"), "ops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.retention() != 45*24*time.Hour || cfg.BaselineModel() != "strong" {
		t.Errorf("retention %v baseline %q", cfg.retention(), cfg.BaselineModel())
	}
	cfg, err = ParseConfig([]byte(baseYAML), "ops.yaml")
	if err != nil || cfg.retention() != DefaultRetention {
		t.Errorf("default retention %v, %v", cfg.retention(), err)
	}
}

// TestBaselineCascadeCountedOnce: an escalated cascade writes two records
// under one request id; the baseline metric counts the request once.
func TestBaselineCascadeCountedOnce(t *testing.T) {
	g := startGW(t, opsYAML, withProviders(allProviders()), withRouter(&fakeRouter{score: 0.1, threshold: 0.5}),
		withCascade(&fakeVerifier{score: 0.9, threshold: 0.5, skip: -1}))
	status, h, body := g.post("/v1/chat/completions", chatBody("router-cascade"), bearerHdr(keyA)...)
	if status != 200 || h.Get("X-Router-Cascade") != "escalated" {
		t.Fatalf("%d %v %s", status, h, body)
	}
	recs := g.waitRecords(2)
	for _, r := range recs {
		if math.Abs(r.BaselineCostUSD-0.002) > 1e-12 {
			t.Errorf("record %s/%s baseline %v, want its own tokens at strong's prices", r.Cascade, r.CascadeStep, r.BaselineCostUSD)
		}
	}
	_, _, m := g.get("/metrics", bearerHdr(keyA)...)
	if !strings.Contains(m, `llmrouter_baseline_cost_usd_total{baseline_model="strong"} 0.002`+"\n") {
		t.Errorf("baseline counted more than once:\n%s", grepLines(m, "baseline"))
	}
}
