package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/llmrouter/llmrouter/internal/ratelimit"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/prometheus/client_golang/prometheus"
)

// SharedRedis is the Redis that budgets and rate limits share, as the
// probes and metrics see it.
type SharedRedis struct {
	Budget *spend.Degrading
	// Limits is nil without rate limits.
	Limits *ratelimit.Degrading
}

// dependency is one entry of /readyz.
type dependency struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

type readiness struct {
	Status       string                `json:"status"`
	Dependencies map[string]dependency `json:"dependencies"`
}

// pinger is a spend store that can check its database.
type pinger interface{ Ping(context.Context) error }

// handleReady is the readiness probe: unlike /healthz (liveness) it fails
// while the gateway cannot serve as configured, so Kubernetes takes the
// replica out of the Service without restarting it.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	rd := readiness{Status: "ready", Dependencies: map[string]dependency{}}
	fail := func(name string, d dependency) {
		rd.Dependencies[name] = d
		rd.Status = "not_ready"
	}
	if s.draining.Load() {
		rd.Status = "draining"
	}
	if rs := s.deps.Redis; rs != nil {
		d := dependency{Status: "up"}
		if rs.Budget.Breaker().Open() {
			d = dependency{Status: "down", Detail: "policy " + string(rs.Budget.Policy())}
		}
		if d.Status == "down" && rs.Budget.Policy() == spend.PolicyClosed {
			fail("redis", d)
		} else {
			rd.Dependencies["redis"] = d
		}
	}
	if p, ok := s.deps.Store.(pinger); ok {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		err := p.Ping(ctx)
		cancel()
		if err != nil {
			fail("spend_database", dependency{Status: "down", Detail: err.Error()})
		} else {
			rd.Dependencies["spend_database"] = dependency{Status: "up"}
		}
	}
	switch rt := s.rt.Load(); {
	case rt.router != nil && rt.version != "":
		rd.Dependencies["router_model"] = dependency{Status: "loaded", Detail: "version " + rt.version}
	case rt.router != nil:
		rd.Dependencies["router_model"] = dependency{Status: "loaded"}
	default:
		rd.Dependencies["router_model"] = dependency{Status: "none", Detail: "routing by policy_mapping rules"}
	}
	status := http.StatusOK
	if rd.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(rd)
}

// registerRedisMetrics exposes the outage state of the shared Redis.
func (s *Server) registerRedisMetrics() {
	rs := s.deps.Redis
	if rs == nil {
		return
	}
	br := rs.Budget.Breaker()
	// Both stores' counts are one metric, told apart by the store label.
	degraded := func(store string, get func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "llmrouter_redis_degraded_total",
			Help:        "Budget or rate-limit decisions made without the shared Redis (spend.on_redis_error).",
			ConstLabels: prometheus.Labels{"store": store},
		}, func() float64 { return float64(get()) })
	}
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "llmrouter_redis_up",
			Help: "1 while the shared Redis answers (its breaker is closed), 0 during an outage.",
		}, func() float64 {
			if br.Open() {
				return 0
			}
			return 1
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "llmrouter_redis_outages_total",
			Help: "Times the shared Redis became unreachable (breaker opened).",
		}, func() float64 { return float64(br.Trips()) }),
		degraded("budget", rs.Budget.Degraded),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "llmrouter_redis_reconciled_usd_total",
			Help: "Spend counted locally during outages and added to Redis afterwards, USD.",
		}, func() float64 { return spend.USD(rs.Budget.Reconciled()) }),
	}
	if rs.Limits != nil {
		cs = append(cs, degraded("rate_limit", rs.Limits.Degraded))
	}
	s.metrics.reg.MustRegister(cs...)
}
