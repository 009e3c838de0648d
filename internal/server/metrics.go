package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// metrics uses the OpenTelemetry GenAI semantic-convention names where one
// exists (dots become underscores in Prometheus), with the conventions'
// advised bucket boundaries, and llmrouter_* names for the rest. Each
// Server has its own registry so tests and embedded servers do not clash.
type metrics struct {
	reg       *prometheus.Registry
	tokens    *prometheus.HistogramVec
	duration  *prometheus.HistogramVec
	ttft      *prometheus.HistogramVec
	decisions *prometheus.CounterVec
	requests  *prometheus.CounterVec
	cost      *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	cascade   *prometheus.CounterVec
	// routerFallbacks counts decisions the configured router could not
	// make, by what decided instead (classifier or rules) and why.
	routerFallbacks *prometheus.CounterVec
	// cascadeBy holds cascade's three series, so counting an outcome does
	// not hash its label on every request.
	cascadeBy map[string]prometheus.Counter
	inflight  prometheus.Gauge
	// drift observes each routed query's drift (router.Decision.Drift).
	drift prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		tokens: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_client_token_usage",
			Help:    "Tokens used per upstream call (OpenTelemetry gen_ai.client.token.usage), by gen_ai_token_type input or output.",
			Buckets: []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864},
		}, []string{"gen_ai_operation_name", "gen_ai_request_model", "gen_ai_token_type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_client_operation_duration_seconds",
			Help:    "Duration of upstream chat operations (OpenTelemetry gen_ai.client.operation.duration).",
			Buckets: []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92},
		}, []string{"gen_ai_operation_name", "gen_ai_request_model", "error_type"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_server_time_to_first_token_seconds",
			Help:    "Time from request arrival to the first streamed token sent (OpenTelemetry gen_ai.server.time_to_first_token).",
			Buckets: []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0},
		}, []string{"gen_ai_operation_name", "gen_ai_request_model"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmrouter_router_decisions_total",
			Help: "Routing decisions, by router policy, chosen model and the mapping rule that decided.",
		}, []string{"policy", "model", "rule"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmrouter_http_requests_total",
			Help: "HTTP requests answered, by endpoint and status code (499: client went away).",
		}, []string{"endpoint", "code"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmrouter_cost_usd_total",
			Help: "Upstream cost in USD from the configured price table, by model.",
		}, []string{"model"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmrouter_fallbacks_total",
			Help: "Requests moved to the next model of a fallback chain, by failed and next model.",
		}, []string{"from", "to"}),
		cascade: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmrouter_cascade_requests_total",
			Help: "Cascade (router-cascade) decisions, by outcome: accepted (the cheap answer), escalated (the strong model's) or skipped (strong only, no cheap call).",
		}, []string{"outcome"}),
		routerFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmrouter_router_fallbacks_total",
			Help: "Queries the configured router (router.kind llm) could not classify, by what decided instead (classifier or rules) and reason (timeout or error).",
		}, []string{"to", "reason"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "llmrouter_inflight_requests",
			Help: "Chat requests being served.",
		}),
	}
	m.reg.MustRegister(m.tokens, m.duration, m.ttft, m.decisions, m.requests, m.cost, m.fallbacks, m.cascade, m.routerFallbacks, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every outcome is exported from the start, at zero: an escalation
	// rate is then computable before the first escalation.
	m.cascadeBy = map[string]prometheus.Counter{}
	for _, o := range []string{spend.CascadeAccepted, spend.CascadeEscalated, spend.CascadeSkipped} {
		m.cascadeBy[o] = m.cascade.WithLabelValues(o)
	}
	m.drift = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "llmrouter_router_drift",
		Help:    "How unlike the router's training queries each routed query is, 0 to 1 (out of distribution from 0.5), for routers that can tell.",
		Buckets: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1},
	})
	m.reg.MustRegister(m.drift)
	return m
}

func (m *metrics) handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		m.request("/metrics", http.StatusOK)
	})
}

// statusText caches label strings: strconv per request would allocate.
var statusText = func() map[int]string {
	out := map[int]string{}
	for _, c := range []int{200, 400, 401, 404, 405, 413, 429, 499, 500, 502, 503, 504} {
		out[c] = strconv.Itoa(c)
	}
	return out
}()

// endpointLabel bounds the endpoint label to known paths: unauthenticated
// clients choose the path, and must not be able to mint new series.
func endpointLabel(path string) string {
	switch {
	case path == "/v1/chat/completions", path == "/v1/models", path == "/metrics", path == "/healthz", path == "/readyz":
		return path
	case strings.HasPrefix(path, "/v1/models/"):
		return "/v1/models"
	case path == "/v1/usage" || strings.HasPrefix(path, "/v1/usage/"):
		return "/v1/usage"
	case path == "/ui" || strings.HasPrefix(path, "/ui/"):
		return "/ui"
	}
	return "other"
}

func (m *metrics) request(endpoint string, status int) {
	code, ok := statusText[status]
	if !ok {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(endpoint, code).Inc()
}

// upstream records one finished upstream call.
func (m *metrics) upstream(model string, d time.Duration, errType string, in, out int, cost float64) {
	m.duration.WithLabelValues("chat", model, errType).Observe(d.Seconds())
	if errType != "" {
		return
	}
	m.tokens.WithLabelValues("chat", model, "input").Observe(float64(in))
	m.tokens.WithLabelValues("chat", model, "output").Observe(float64(out))
	m.cost.WithLabelValues(model).Add(cost)
}
