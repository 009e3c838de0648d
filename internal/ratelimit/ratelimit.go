// Package ratelimit enforces requests-per-minute and tokens-per-minute
// limits, per gateway key and globally, in memory for one replica or in
// Redis so replicas share them.
//
// It counts in one-minute windows and estimates the last sixty seconds as
// the current window's count plus the previous window's, weighted by how
// much of it is still inside those sixty seconds (a sliding window
// counter). That needs two counters per limit, not one entry per request,
// and never admits more than the limit in any minute-aligned window; in an
// arbitrary sixty seconds it can admit a few percent more when traffic is
// very uneven across the minute.
//
// Tokens are reserved when a request is admitted (its prompt estimate plus
// max_tokens, the most it can use, as OpenAI counts them) and corrected to
// what the upstream reported when it ends, so concurrent requests cannot
// overshoot a tokens-per-minute limit between admission and completion.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// Limit is a rate; zero fields are unlimited.
type Limit struct {
	RequestsPerMinute int64 `yaml:"requests_per_minute,omitempty" json:"requests_per_minute,omitempty"`
	TokensPerMinute   int64 `yaml:"tokens_per_minute,omitempty" json:"tokens_per_minute,omitempty"`
}

func (l Limit) zero() bool { return l.RequestsPerMinute == 0 && l.TokensPerMinute == 0 }

// Config is router.yaml's rate_limits section.
type Config struct {
	// Global limits all keys together.
	Global Limit `yaml:"global,omitempty" json:"global,omitempty"`
	// PerKey limits each key, unless Keys names it.
	PerKey Limit `yaml:"per_key,omitempty" json:"per_key,omitempty"`
	// Keys gives a key id its own limit (zero fields: unlimited).
	Keys map[string]Limit `yaml:"keys,omitempty" json:"keys,omitempty"`
}

// Validate reports the first bad setting, named as in router.yaml.
func (c Config) Validate() error {
	check := func(name string, l Limit) error {
		if l.RequestsPerMinute < 0 {
			return fmt.Errorf("rate_limits.%s.requests_per_minute: must be >= 0, got %d", name, l.RequestsPerMinute)
		}
		if l.TokensPerMinute < 0 {
			return fmt.Errorf("rate_limits.%s.tokens_per_minute: must be >= 0, got %d", name, l.TokensPerMinute)
		}
		return nil
	}
	if err := check("global", c.Global); err != nil {
		return err
	}
	if err := check("per_key", c.PerKey); err != nil {
		return err
	}
	for id, l := range c.Keys {
		if err := check("keys."+id, l); err != nil {
			return err
		}
	}
	return nil
}

// Enabled reports whether any limit is set.
func (c Config) Enabled() bool {
	if !c.Global.zero() || !c.PerKey.zero() {
		return true
	}
	for _, l := range c.Keys {
		if !l.zero() {
			return true
		}
	}
	return false
}

// Window is the counting window.
const Window = time.Minute

// Scope is one limit a request counts against.
type Scope struct {
	// Name is "global" or "key/<id>".
	Name  string
	Limit Limit
}

// Counts are a scope's counters in the previous and the current window.
type Counts struct {
	PrevRequests, CurRequests int64
	PrevTokens, CurTokens     int64
}

// Store holds the counters. Take and Adjust are atomic across scopes.
type Store interface {
	// Take counts one request of tokens in window for every scope, unless
	// that would put some scope over its limit, estimated with frac of the
	// window gone; then nothing is counted and blocked is that scope's
	// index. blocked is -1 on success. counts are every scope's counters,
	// after counting.
	Take(ctx context.Context, scopes []Scope, window int64, frac float64, tokens int64) (blocked int, counts []Counts, err error)
	// Adjust adds delta (which may be negative) to every scope's tokens in
	// window, if the window's counters still exist.
	Adjust(ctx context.Context, scopes []Scope, window int64, delta int64) error
}

// Limiter applies a Config over a Store.
type Limiter struct {
	cfg Config
	st  Store
	now func() time.Time
}

// New returns a limiter; nil when cfg sets no limit.
func New(cfg Config, st Store) *Limiter {
	if !cfg.Enabled() {
		return nil
	}
	return &Limiter{cfg: cfg, st: st, now: time.Now}
}

// WithClock replaces time.Now (tests).
func (l *Limiter) WithClock(now func() time.Time) *Limiter { l.now = now; return l }

// scopes are the limits keyID counts against.
func (l *Limiter) scopes(keyID string) []Scope {
	var s []Scope
	if !l.cfg.Global.zero() {
		s = append(s, Scope{Name: "global", Limit: l.cfg.Global})
	}
	kl, ok := l.cfg.Keys[keyID]
	if !ok {
		kl = l.cfg.PerKey
	}
	if !kl.zero() {
		s = append(s, Scope{Name: "key/" + strings.NewReplacer("/", "%2F", " ", "%20").Replace(keyID), Limit: kl})
	}
	return s
}

// Ticket is an admitted request's count. Settle it once with the tokens
// the request used.
type Ticket struct {
	l        *Limiter
	scopes   []Scope
	window   int64
	reserved int64
	// Headers are the x-ratelimit-* response headers for the request.
	Headers map[string]string
}

// Admit counts a request that may use up to tokens. Over a limit it
// returns an *apierr.Error of code RateLimitExceeded whose RetryAfter says
// when the request would be admitted; if the counters cannot be reached,
// one of code Unavailable (a Degrading store under the closed policy) or
// Internal. A nil
// Ticket with a nil error means no limit applies to keyID.
func (l *Limiter) Admit(ctx context.Context, keyID string, tokens int64) (*Ticket, error) {
	if l == nil {
		return nil, nil
	}
	scopes := l.scopes(keyID)
	if len(scopes) == 0 {
		return nil, nil
	}
	now := l.now()
	ms := now.UnixMilli()
	win := ms / Window.Milliseconds()
	frac := float64(ms%Window.Milliseconds()) / float64(Window.Milliseconds())
	for _, s := range scopes {
		if t := s.Limit.TokensPerMinute; t > 0 && tokens > t {
			return nil, &apierr.Error{Code: apierr.RateLimitExceeded, Msg: fmt.Sprintf(
				"request needs up to %d tokens (prompt estimate + max_tokens), more than the %s limit of %d tokens per minute: lower max_tokens",
				tokens, scopeName(s), t)}
		}
	}
	blocked, counts, err := l.st.Take(ctx, scopes, win, frac, tokens)
	if errors.Is(err, ErrStoreUnavailable) {
		e := apierr.Wrap(apierr.Unavailable, err, "rate limit store unavailable (spend.on_redis_error: closed); retry shortly")
		e.RetryAfter = time.Second
		return nil, e
	}
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "rate limit counters unavailable")
	}
	if blocked >= 0 {
		s, c := scopes[blocked], counts[blocked]
		wait := waitFor(s.Limit, c, frac, tokens)
		e := &apierr.Error{Code: apierr.RateLimitExceeded, RetryAfter: wait, Msg: fmt.Sprintf(
			"rate limit of %s reached: %s; retry after %s", scopeName(s), usage(s.Limit, c, frac), wait.Round(time.Second))}
		kind := "key"
		if s.Name == "global" {
			kind = "global"
		}
		return nil, &Refusal{Err: e, Scope: kind, Headers: headers(scopes, counts, frac)}
	}
	return &Ticket{l: l, scopes: scopes, window: win, reserved: tokens, Headers: headers(scopes, counts, frac)}, nil
}

// Refusal is Admit's error over a limit: the apierr error and the
// x-ratelimit-* headers to send with the 429.
type Refusal struct {
	Err *apierr.Error
	// Scope is "key" or "global": the limit that refused.
	Scope   string
	Headers map[string]string
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Settle corrects the tokens counted at admission to used.
func (t *Ticket) Settle(ctx context.Context, used int64) error {
	if t == nil || t.reserved == used {
		return nil
	}
	tokenScopes := t.scopes[:0:0]
	for _, s := range t.scopes {
		if s.Limit.TokensPerMinute > 0 {
			tokenScopes = append(tokenScopes, s)
		}
	}
	if len(tokenScopes) == 0 {
		return nil
	}
	if err := t.l.st.Adjust(context.WithoutCancel(ctx), tokenScopes, t.window, used-t.reserved); err != nil {
		return fmt.Errorf("rate limit: settle tokens: %w", err)
	}
	return nil
}

func scopeName(s Scope) string {
	if s.Name == "global" {
		return "the gateway"
	}
	return "key " + strings.TrimPrefix(s.Name, "key/")
}

// estimate is the sliding count: the current window plus the part of the
// previous one still inside the last sixty seconds.
func estimate(prev, cur int64, frac float64) float64 {
	return float64(prev)*(1-frac) + float64(cur)
}

func usage(l Limit, c Counts, frac float64) string {
	var parts []string
	if l.RequestsPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%.0f of %d requests per minute", math.Ceil(estimate(c.PrevRequests, c.CurRequests, frac)), l.RequestsPerMinute))
	}
	if l.TokensPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%.0f of %d tokens per minute", math.Ceil(estimate(c.PrevTokens, c.CurTokens, frac)), l.TokensPerMinute))
	}
	return strings.Join(parts, ", ")
}

// waitFor is how long until a request of tokens would fit under l, if
// nothing else is admitted meanwhile.
func waitFor(l Limit, c Counts, frac float64, tokens int64) time.Duration {
	w := waitOne(l.RequestsPerMinute, c.PrevRequests, c.CurRequests, frac, 1)
	return max(w, waitOne(l.TokensPerMinute, c.PrevTokens, c.CurTokens, frac, tokens))
}

// waitOne solves prev*(1-f) + cur + n <= limit for the first f at or
// after frac, continuing into the next window (where cur becomes prev).
func waitOne(limit, prev, cur int64, frac float64, n int64) time.Duration {
	if limit <= 0 {
		return 0
	}
	room := float64(limit - n)
	var f float64 // windows from the start of the current one
	switch {
	case estimate(prev, cur, frac) <= room:
		return 0
	case float64(cur) <= room && prev > 0:
		f = 1 - (room-float64(cur))/float64(prev)
	case cur > 0:
		f = 1 + max(0, 1-room/float64(cur))
	default:
		f = 1
	}
	return time.Duration((f - frac) * float64(Window))
}

// headers are OpenAI's x-ratelimit-* headers, each from the scope with
// the least room left for its kind.
func headers(scopes []Scope, counts []Counts, frac float64) map[string]string {
	h := map[string]string{}
	untilWindowEnd := time.Duration((1 - frac) * float64(Window)).Round(time.Millisecond)
	set := func(kind string, limit int64, prev, cur int64) {
		left := max(0, limit-int64(math.Ceil(estimate(prev, cur, frac))))
		if old, ok := h["x-ratelimit-remaining-"+kind]; ok {
			if o, _ := strconv.ParseInt(old, 10, 64); o <= left {
				return
			}
		}
		h["x-ratelimit-limit-"+kind] = strconv.FormatInt(limit, 10)
		h["x-ratelimit-remaining-"+kind] = strconv.FormatInt(left, 10)
		h["x-ratelimit-reset-"+kind] = untilWindowEnd.String()
	}
	for i, s := range scopes {
		c := counts[i]
		if s.Limit.RequestsPerMinute > 0 {
			set("requests", s.Limit.RequestsPerMinute, c.PrevRequests, c.CurRequests)
		}
		if s.Limit.TokensPerMinute > 0 {
			set("tokens", s.Limit.TokensPerMinute, c.PrevTokens, c.CurTokens)
		}
	}
	return h
}
