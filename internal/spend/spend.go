// Package spend records what each request cost and enforces budgets.
//
// A Store (SQLite in package spend/sqlite) keeps one durable Record per
// request for reporting ("llmrouter usage") and for restoring budget
// counters after a restart. Budgets enforce per-key and global limits with
// reservations held in a Counter: in-process (NewMemoryCounter) for one
// replica, or Redis (package spend/redis) so replicas share one budget.
package spend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"
)

// Anonymous is the KeyID of requests made without a gateway key.
const Anonymous = "anonymous"

// Record is one request's outcome and cost.
type Record struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	// KeyID identifies the gateway key (HashKey of it) or is Anonymous.
	// Never the key itself.
	KeyID          string  `json:"key_id"`
	Model          string  `json:"model"`
	Policy         string  `json:"policy"`
	Rule           string  `json:"rule"`
	InputTokens    int     `json:"input_tokens"`
	OutputTokens   int     `json:"output_tokens"`
	ThinkingTokens int     `json:"thinking_tokens"`
	Estimated      bool    `json:"estimated"`
	CostUSD        float64 `json:"cost_usd"`
	// BaselineCostUSD estimates what the request would have cost on the
	// baseline model (the configured strong model): the same input tokens
	// and the same output tokens, at that model's prices. The baseline
	// model would have written a different number of tokens, so this is an
	// estimate, not a measurement.
	BaselineCostUSD float64 `json:"baseline_cost_usd"`
	// Status is "ok" or an apierr code such as "upstream_unavailable".
	Status    string `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	// Cascade is the outcome of a "router-cascade" request (CascadeAccepted,
	// CascadeEscalated or CascadeSkipped) on each of its records; empty for
	// other requests, and for a cascade that failed before it decided.
	Cascade string `json:"cascade,omitempty"`
	// CascadeStep is which of the cascade's calls this record is: StepCheap
	// or StepStrong. An escalated request has one record of each, sharing
	// its RequestID.
	CascadeStep string `json:"cascade_step,omitempty"`
	// RouterVersion is the version of the router model that routed the
	// request (12 hex digits of its weights' SHA-256); empty when no
	// trained router chose the model (a model named in the request, rules).
	RouterVersion string `json:"router_version,omitempty"`
	// Drift is how unlike the router's training queries the routed query
	// was, in [0, 1], when HasDrift; a router that cannot tell (or no
	// router) leaves HasDrift false.
	Drift    float64 `json:"drift,omitempty"`
	HasDrift bool    `json:"has_drift,omitempty"`
	// OutOfDistribution says Drift reached the gateway's threshold when
	// the request was routed; kept as decided then, so a later change of
	// threshold does not rewrite history.
	OutOfDistribution bool `json:"out_of_distribution,omitempty"`
}

// Cascade outcomes and steps (Record.Cascade, Record.CascadeStep).
const (
	CascadeAccepted  = "accepted"
	CascadeEscalated = "escalated"
	CascadeSkipped   = "skipped"
	StepCheap        = "cheap"
	StepStrong       = "strong"
)

// Superseded reports whether r is the cheap call of an escalated cascade:
// billed, but its answer was replaced by the strong model's, so summaries
// count its tokens and cost and not a request.
func (r Record) Superseded() bool {
	return r.Cascade == CascadeEscalated && r.CascadeStep == StepCheap
}

// GroupBy selects the summary grouping.
type GroupBy string

// Groupings accepted by Store.Summary.
const (
	ByModel  GroupBy = "model"
	ByPolicy GroupBy = "policy"
	ByKey    GroupBy = "key"
	ByDay    GroupBy = "day" // UTC date, YYYY-MM-DD
	// ByCascade groups by cascade outcome; "" holds every other request.
	ByCascade GroupBy = "cascade"
	// ByHour groups by UTC hour, as RFC 3339 (2026-01-02T15:00:00Z).
	ByHour GroupBy = "hour"
	// ByTotal puts every record in one row whose Group is "".
	ByTotal GroupBy = "total"
)

// Groupings lists the GroupBy values "llmrouter usage" prints, in order.
var Groupings = []GroupBy{ByModel, ByPolicy, ByKey, ByDay, ByCascade}

// ParseGroupBy validates s: one of Groupings, hour or total.
func ParseGroupBy(s string) (GroupBy, error) {
	for _, g := range append(Groupings, ByHour, ByTotal) {
		if string(g) == s {
			return g, nil
		}
	}
	return "", fmt.Errorf("unknown grouping %q (one of model, policy, key, day, cascade, hour, total)", s)
}

// ParseBound reads a report bound as a UTC date (2026-01-01) or an RFC
// 3339 time; "" is an open bound (the zero time). ok is false for
// anything else, so that the CLI and the usage API name the bad flag or
// parameter in their own way.
func ParseBound(s string) (t time.Time, ok bool) {
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// Query selects records with From <= Time < To (zero bounds are open),
// optionally of one key and one model, and groups them.
type Query struct {
	From, To time.Time
	GroupBy  GroupBy
	// KeyID and Model, when set, keep only that key's or model's records.
	KeyID, Model string
	// Latency fills Row.Latency.
	Latency bool
}

// Row is one group of a summary. Requests and Errors count requests, not
// records: a superseded cheap call (Record.Superseded) adds only its
// tokens and cost.
type Row struct {
	Group          string  `json:"group"`
	Requests       int64   `json:"requests"`
	Errors         int64   `json:"errors"`
	InputTokens    int64   `json:"input_tokens"`
	OutputTokens   int64   `json:"output_tokens"`
	ThinkingTokens int64   `json:"thinking_tokens"`
	CostUSD        float64 `json:"cost_usd"`
	// BaselineCostUSD sums Record.BaselineCostUSD, once per request (an
	// escalated cascade's superseded cheap call adds none): an estimate.
	BaselineCostUSD float64 `json:"baseline_cost_usd"`
	// SavingsUSD is BaselineCostUSD - CostUSD; negative when routing cost
	// more than the baseline would have (an escalated cascade pays twice).
	SavingsUSD float64 `json:"savings_usd"`
	// Routed counts requests a router model routed (Record.RouterVersion
	// set); DriftScored those of them whose drift it could score, and
	// OutOfDistribution those scored out of distribution.
	Routed            int64 `json:"routed"`
	DriftScored       int64 `json:"drift_scored"`
	OutOfDistribution int64 `json:"out_of_distribution"`
	// Latency is the request latency histogram, with Query.Latency.
	Latency *Histogram `json:"-"`
}

// Store keeps request records. Implementations are safe for concurrent use.
type Store interface {
	// Record persists r; when it returns nil, r survives a process crash.
	Record(ctx context.Context, r Record) error
	// Summary aggregates records, sorted by cost descending (by date for
	// ByDay).
	Summary(ctx context.Context, q Query) ([]Row, error)
	Close() error
}

// Totaler reports recorded spend, used to restore budget counters.
type Totaler interface {
	// SpentSince returns the cost of records at or after from, per KeyID
	// and in total.
	SpentSince(ctx context.Context, from time.Time) (byKey map[string]float64, total float64, err error)
}

// HashKey turns a gateway API key into a stable, non-reversible KeyID, so
// records and counters never hold the key itself.
func HashKey(key string) string {
	if key == "" {
		return Anonymous
	}
	sum := sha256.Sum256([]byte("llmrouter-key:" + key))
	return "k_" + hex.EncodeToString(sum[:8])
}

// Nanos converts USD to integer nano-dollars. Counters and the database sum
// integers so totals are exact and replica-independent; one nano-dollar is
// far below any token price.
func Nanos(usd float64) int64 {
	if math.IsNaN(usd) || usd <= 0 {
		return 0
	}
	if usd > 9e9 {
		return math.MaxInt64 / 2
	}
	return int64(math.Round(usd * 1e9))
}

// USD converts nano-dollars back to dollars.
func USD(nanos int64) float64 { return float64(nanos) / 1e9 }
