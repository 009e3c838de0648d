package spend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// Period is a budget window. Windows are calendar periods in UTC.
type Period string

// Budget periods.
const (
	PeriodTotal   Period = "total"
	PeriodDaily   Period = "daily"
	PeriodMonthly Period = "monthly"
)

// BudgetConfig is the "budgets:" section of router.yaml. Amounts are USD;
// zero means unlimited.
type BudgetConfig struct {
	// Period is total (default), daily or monthly.
	Period Period `yaml:"period,omitempty" json:"period,omitempty"`
	// GlobalUSD caps the spend of all keys together.
	GlobalUSD float64 `yaml:"global_usd,omitempty" json:"global_usd,omitempty"`
	// PerKeyUSD caps each key, unless Keys names it.
	PerKeyUSD float64 `yaml:"per_key_usd,omitempty" json:"per_key_usd,omitempty"`
	// Keys maps a KeyID to its own cap (0 = unlimited for that key).
	Keys map[string]float64 `yaml:"keys,omitempty" json:"keys,omitempty"`
	// ReservationTTL bounds how long an unfinished reservation holds budget
	// if its replica dies before Commit/Release; default 10m.
	ReservationTTL time.Duration `yaml:"reservation_ttl,omitempty" json:"reservation_ttl,omitempty"`
}

// Validate reports the first bad setting, named as in router.yaml.
func (c BudgetConfig) Validate() error {
	switch c.Period {
	case "", PeriodTotal, PeriodDaily, PeriodMonthly:
	default:
		return fmt.Errorf("budgets.period: unknown period %q (one of total, daily, monthly)", c.Period)
	}
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(c.GlobalUSD) {
		return fmt.Errorf("budgets.global_usd: must be a finite number >= 0, got %v", c.GlobalUSD)
	}
	if bad(c.PerKeyUSD) {
		return fmt.Errorf("budgets.per_key_usd: must be a finite number >= 0, got %v", c.PerKeyUSD)
	}
	for k, v := range c.Keys {
		if bad(v) {
			return fmt.Errorf("budgets.keys.%s: must be a finite number >= 0, got %v", k, v)
		}
	}
	if c.ReservationTTL < 0 {
		return fmt.Errorf("budgets.reservation_ttl: must be >= 0, got %v", c.ReservationTTL)
	}
	return nil
}

// Bucket is one counter a reservation charges: a key's or the global spend
// in one period.
type Bucket struct {
	Name string
	// Limit in nano-dollars; 0 = unlimited.
	Limit int64
	// TTL lets a backend forget a finished period's bucket; 0 = keep.
	TTL time.Duration
}

// Counter holds spent and reserved amounts (nano-dollars) per bucket. All
// operations on several buckets are atomic together.
type Counter interface {
	// Reserve adds amount to every bucket's reserved total under id, unless
	// spent+reserved+amount would pass some bucket's limit; then nothing is
	// reserved and blocked is that bucket's index. blocked is -1 on success.
	// Reservations older than ttl are dropped, as their holder has died.
	Reserve(ctx context.Context, id string, buckets []Bucket, amount int64, ttl time.Duration) (blocked int, err error)
	// Commit drops reservation id (if still held) and adds actual to every
	// bucket's spent.
	Commit(ctx context.Context, id string, buckets []Bucket, actual int64) error
	// Release drops reservation id without spending.
	Release(ctx context.Context, id string, buckets []Bucket) error
	// Usage returns a bucket's spent and reserved totals.
	Usage(ctx context.Context, bucket string) (spent, reserved int64, err error)
	// Seed sets a bucket's spent if the counter holds nothing for it yet
	// (restoring after a restart without double counting a shared Redis).
	Seed(ctx context.Context, b Bucket, spent int64) error
}

// Budgets enforces per-key and global budgets with reservations: reserve a
// request's maximum cost before calling upstream, commit its actual cost
// after. Concurrent requests therefore overshoot a budget by at most what
// their actual costs exceed their reservations, and not at all when each
// reservation is a true maximum.
type Budgets struct {
	cfg BudgetConfig
	c   Counter
	now func() time.Time
	win atomic.Pointer[windowName] // the last window named, reused while it lasts
}

// windowName caches a period window's bucket prefix: formatting the date
// on every request showed up in the gateway's profile.
type windowName struct {
	from, to time.Time // [from, to)
	name     string
}

// Option configures Budgets.
type Option func(*Budgets)

// WithClock replaces time.Now (tests of period windows).
func WithClock(now func() time.Time) Option { return func(b *Budgets) { b.now = now } }

// NewBudgets validates cfg and returns Budgets over counter c.
func NewBudgets(cfg BudgetConfig, c Counter, opts ...Option) (*Budgets, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("spend: NewBudgets needs a Counter")
	}
	if cfg.Period == "" {
		cfg.Period = PeriodTotal
	}
	if cfg.ReservationTTL == 0 {
		cfg.ReservationTTL = 10 * time.Minute
	}
	b := &Budgets{cfg: cfg, c: c, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b, nil
}

// Config returns the effective configuration.
func (b *Budgets) Config() BudgetConfig { return b.cfg }

// keyLimit is keyID's cap in USD (0 = unlimited).
func (b *Budgets) keyLimit(keyID string) float64 {
	if v, ok := b.cfg.Keys[keyID]; ok {
		return v
	}
	return b.cfg.PerKeyUSD
}

// window returns the current period's bucket-name prefix and its TTL.
func (b *Budgets) window(t time.Time) (string, time.Duration) {
	t = t.UTC()
	var ttl time.Duration
	switch b.cfg.Period {
	case PeriodDaily:
		ttl = 49 * time.Hour
	case PeriodMonthly:
		ttl = 63 * 24 * time.Hour
	default:
		return "total", 0
	}
	if w := b.win.Load(); w != nil && !t.Before(w.from) && t.Before(w.to) {
		return w.name, ttl
	}
	w := &windowName{from: b.PeriodStart(t)}
	if b.cfg.Period == PeriodDaily {
		w.to, w.name = w.from.AddDate(0, 0, 1), "daily/"+t.Format("2006-01-02")
	} else {
		w.to, w.name = w.from.AddDate(0, 1, 0), "monthly/"+t.Format("2006-01")
	}
	b.win.Store(w)
	return w.name, ttl
}

// PeriodStart is the start of the window containing t (zero for total).
func (b *Budgets) PeriodStart(t time.Time) time.Time {
	t = t.UTC()
	switch b.cfg.Period {
	case PeriodDaily:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case PeriodMonthly:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}

// buckets are the key's and the global bucket of the window containing t.
func (b *Budgets) buckets(keyID string, t time.Time) []Bucket {
	w, ttl := b.window(t)
	return []Bucket{
		{Name: w + "/key/" + sanitize(keyID), Limit: Nanos(b.keyLimit(keyID)), TTL: ttl},
		{Name: w + "/global", Limit: Nanos(b.cfg.GlobalUSD), TTL: ttl},
	}
}

// sanitize keeps bucket names unambiguous whatever a KeyID contains.
func sanitize(keyID string) string {
	if keyID == "" {
		return Anonymous
	}
	if !strings.ContainsAny(keyID, "/ ") {
		return keyID
	}
	return keyEscaper.Replace(keyID)
}

var keyEscaper = strings.NewReplacer("/", "%2F", " ", "%20")

// Reservation is budget held for one in-flight request. Commit or Release
// it exactly once; later calls are no-ops, so `defer r.Release(ctx)` after
// a Commit is safe.
type Reservation struct {
	b       *Budgets
	id      string
	keyID   string
	buckets []Bucket
	max     float64

	mu   sync.Mutex
	done bool
}

// Reserve holds maxCost USD of keyID's and the global budget. It fails with
// an *apierr.Error of code BudgetExceeded when spent + reserved + maxCost
// would pass either limit.
func (b *Budgets) Reserve(ctx context.Context, keyID string, maxCost float64) (*Reservation, error) {
	if math.IsNaN(maxCost) || maxCost < 0 {
		return nil, apierr.New(apierr.Invalid, "spend: maximum cost must be >= 0, got %v", maxCost)
	}
	if keyID == "" {
		keyID = Anonymous
	}
	id, err := newID()
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "spend: reservation id")
	}
	bs := b.buckets(keyID, b.now())
	blocked, err := b.c.Reserve(ctx, id, bs, Nanos(maxCost), b.cfg.ReservationTTL)
	if errors.Is(err, ErrStoreUnavailable) {
		e := apierr.Wrap(apierr.Unavailable, err, "budget store unavailable (spend.on_redis_error: closed); retry shortly")
		e.RetryAfter = StoreRetryAfter
		return nil, e
	}
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "spend: reserve budget")
	}
	if blocked >= 0 {
		return nil, b.exceeded(ctx, keyID, bs[blocked], maxCost, blocked == 1)
	}
	return &Reservation{b: b, id: id, keyID: keyID, buckets: bs, max: maxCost}, nil
}

func (b *Budgets) exceeded(ctx context.Context, keyID string, bk Bucket, maxCost float64, global bool) error {
	who := "key " + keyID
	if global {
		who = "global"
	}
	spent, reserved, err := b.c.Usage(ctx, bk.Name)
	if err != nil {
		return apierr.New(apierr.BudgetExceeded, "%s %s budget of $%.2f exceeded", who, b.cfg.Period, USD(bk.Limit))
	}
	return apierr.New(apierr.BudgetExceeded, "%s %s budget of $%.2f exceeded: spent $%.4f, in flight $%.4f, this request up to $%.4f",
		who, b.cfg.Period, USD(bk.Limit), USD(spent), USD(reserved), maxCost)
}

// MaxCost is the amount reserved.
func (r *Reservation) MaxCost() float64 { return r.max }

// KeyID is the key the reservation charges.
func (r *Reservation) KeyID() string { return r.keyID }

// Commit charges actualCost (which may exceed MaxCost: the upstream's usage
// is the truth) and frees the reservation. It runs even if ctx is already
// cancelled, because a finished request must be charged.
func (r *Reservation) Commit(ctx context.Context, actualCost float64) error {
	if math.IsNaN(actualCost) || actualCost < 0 {
		return fmt.Errorf("spend: actual cost must be >= 0, got %v", actualCost)
	}
	return r.finish(ctx, func(ctx context.Context) error {
		return r.b.c.Commit(ctx, r.id, r.buckets, Nanos(actualCost))
	})
}

// Release frees the reservation without charging (the request failed before
// any billable upstream call).
func (r *Reservation) Release(ctx context.Context) error {
	return r.finish(ctx, func(ctx context.Context) error {
		return r.b.c.Release(ctx, r.id, r.buckets)
	})
}

func (r *Reservation) finish(ctx context.Context, f func(context.Context) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	// Detached from the request's cancellation; a Redis counter is still
	// bounded by its client's read/write timeouts.
	if err := f(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("spend: settle reservation: %w", err)
	}
	r.done = true
	return nil
}

// Spent is keyID's committed spend in the current period; keyID "" gives
// the global spend.
func (b *Budgets) Spent(ctx context.Context, keyID string) (float64, error) {
	bs := b.buckets(keyID, b.now())
	name := bs[0].Name
	if keyID == "" {
		name = bs[1].Name
	}
	s, _, err := b.c.Usage(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("spend: read spend: %w", err)
	}
	return USD(s), nil
}

// Headroom returns the spend and limit of keyID's binding budget, the
// limited bucket (key or global) with the highest spent/limit ratio, for the
// cost-aware mapper (policy.Input.Spent, Budget). limit 0: no budget.
func (b *Budgets) Headroom(ctx context.Context, keyID string) (spent, limit float64, err error) {
	if keyID == "" {
		keyID = Anonymous
	}
	best := -1.0
	for _, bk := range b.buckets(keyID, b.now()) {
		if bk.Limit <= 0 {
			continue
		}
		s, _, err := b.c.Usage(ctx, bk.Name)
		if err != nil {
			return 0, 0, fmt.Errorf("spend: read spend: %w", err)
		}
		if r := float64(s) / float64(bk.Limit); r > best {
			best, spent, limit = r, USD(s), USD(bk.Limit)
		}
	}
	return spent, limit, nil
}

// Restore seeds the current period's counters from recorded spend, so a
// restart does not reset budgets. Buckets the counter already holds (a
// shared Redis) are left alone. Call it before serving.
func (b *Budgets) Restore(ctx context.Context, src Totaler) error {
	now := b.now()
	byKey, total, err := src.SpentSince(ctx, b.PeriodStart(now))
	if err != nil {
		return fmt.Errorf("spend: restore budgets: %w", err)
	}
	for keyID, usd := range byKey {
		if err := b.c.Seed(ctx, b.buckets(keyID, now)[0], Nanos(usd)); err != nil {
			return fmt.Errorf("spend: restore budget of key %s: %w", keyID, err)
		}
	}
	if err := b.c.Seed(ctx, b.buckets(Anonymous, now)[1], Nanos(total)); err != nil {
		return fmt.Errorf("spend: restore global budget: %w", err)
	}
	return nil
}

func newID() (string, error) {
	var buf [12]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf[:]), nil
}

// BudgetUsage is one budget's state in the current period.
type BudgetUsage struct {
	// KeyID is the key, or "" for the global budget.
	KeyID  string `json:"key_id"`
	Period Period `json:"period"`
	// LimitUSD is the cap; 0 means unlimited.
	LimitUSD    float64 `json:"limit_usd"`
	SpentUSD    float64 `json:"spent_usd"`
	ReservedUSD float64 `json:"reserved_usd"`
	// HeadroomUSD is LimitUSD - SpentUSD - ReservedUSD (0 when unlimited).
	HeadroomUSD float64 `json:"headroom_usd"`
}

// Usage reports keyID's budget ("" for the global one) in the current
// period, from the counters (in memory or Redis), so it includes requests
// still in flight.
func (b *Budgets) Usage(ctx context.Context, keyID string) (BudgetUsage, error) {
	bs := b.buckets(keyID, b.now())
	bk := bs[0]
	if keyID == "" {
		bk = bs[1]
	}
	spent, reserved, err := b.c.Usage(ctx, bk.Name)
	if err != nil {
		return BudgetUsage{}, fmt.Errorf("spend: read budget: %w", err)
	}
	u := BudgetUsage{KeyID: keyID, Period: b.cfg.Period, LimitUSD: USD(bk.Limit), SpentUSD: USD(spent), ReservedUSD: USD(reserved)}
	if bk.Limit > 0 {
		u.HeadroomUSD = USD(bk.Limit - spent - reserved)
	}
	return u, nil
}
