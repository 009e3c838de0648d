package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/llmrouter/llmrouter/internal/ratelimit"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/postgres"
	spendredis "github.com/llmrouter/llmrouter/internal/spend/redis"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
)

// Store is a spend store the gateway can run on: records, reports,
// budget restore and pruning (sqlite.Store, postgres.Store).
type Store interface {
	spend.Store
	spend.Reporter
	spend.Totaler
}

// OpenStore opens the spend store cfg names: PostgreSQL when
// spend.postgres_url_env is set, else the SQLite file at
// spend.sqlite_path. Raw records older than spend.retention are pruned
// in the background. getenv reads the PostgreSQL URL, which is never
// logged or put in an error.
func OpenStore(ctx context.Context, cfg *Config, getenv func(string) string, log *slog.Logger) (Store, error) {
	ret := cfg.retention()
	onPostgres := cfg.Spend.PostgresURLEnv != ""
	if dir := filepath.Dir(cfg.Spend.SQLitePath); !onPostgres && dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("spend.sqlite_path: %w", err)
		}
	}
	st, name, err := openStore(ctx, cfg, getenv, postgres.Options{Logger: log, Retention: ret}, sqlite.Options{Logger: log, Retention: ret})
	if err != nil {
		return nil, err
	}
	if onPostgres {
		log.Info("spend store: PostgreSQL", "store", name, "retention", ret.String())
	}
	return st, nil
}

// OpenReader opens cfg's spend store for reading ("llmrouter usage"): an
// SQLite file must already exist, and nothing is pruned.
func OpenReader(ctx context.Context, cfg *Config, getenv func(string) string, log *slog.Logger) (Store, string, error) {
	return openStore(ctx, cfg, getenv, postgres.Options{Logger: log, MaxConns: 2}, sqlite.Options{Logger: log, MustExist: true})
}

// openStore is what OpenStore and OpenReader share: the choice between
// PostgreSQL and SQLite, the URL lookup, and errors naming the setting.
// name is the PostgreSQL store's own name (never its URL) or the SQLite
// path.
func openStore(ctx context.Context, cfg *Config, getenv func(string) string, pg postgres.Options, sq sqlite.Options) (st Store, name string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if env := cfg.Spend.PostgresURLEnv; env != "" {
		url := getenv(env)
		if url == "" {
			return nil, "", fmt.Errorf("spend.postgres_url_env: environment variable %s is empty", env)
		}
		pst, err := postgres.Open(ctx, url, pg)
		if err != nil {
			return nil, "", fmt.Errorf("spend.postgres_url_env: %w", err)
		}
		return pst, pst.Name(), nil
	}
	sst, err := sqlite.Open(ctx, cfg.Spend.SQLitePath, sq)
	if err != nil {
		return nil, "", fmt.Errorf("spend.sqlite_path: %w", err)
	}
	return sst, cfg.Spend.SQLitePath, nil
}

// sharedRedis is what openRedis builds: the budget counter and, with rate
// limits, the limiter, both behind one breaker.
type sharedRedis struct {
	budget  *spend.Degrading
	limiter *ratelimit.Limiter
	health  *SharedRedis
	close   func() error
}

// redisProbeEvery is how often an open breaker pings Redis: a recovered
// Redis is back in use within this.
const redisProbeEvery = 250 * time.Millisecond

// openRedis connects the Redis named by spend.redis_url_env and puts the
// spend.on_redis_error policy in front of it. Rate limits share the
// client and the breaker, so one outage is noticed once.
func openRedis(ctx context.Context, cfg *Config, getenv func(string) string, log *slog.Logger) (*sharedRedis, error) {
	env := cfg.Spend.RedisURLEnv
	url := getenv(env)
	if url == "" {
		return nil, fmt.Errorf("spend.redis_url_env: environment variable %s is empty", env)
	}
	spendredis.SetLogger(log)
	rc, err := spendredis.Dial(url, "")
	if err != nil {
		return nil, fmt.Errorf("spend.redis_url_env: %w", err)
	}
	d := spend.NewDegrading(rc, rc.Ping, cfg.Spend.OnRedisError, cfg.Spend.Replicas, redisProbeEvery, log)
	if err := rc.Ping(ctx); err != nil {
		// A gateway (re)started during a Redis outage serves as it would
		// had the outage begun later, instead of crash-looping until Redis
		// is back; /readyz reports it meanwhile.
		log.Warn("Redis unreachable at startup: serving under spend.on_redis_error until it answers",
			"addr", rc.Addr(), "on_redis_error", string(d.Policy()), "err", err)
		d.Breaker().Fail()
	}
	out := &sharedRedis{budget: d, health: &SharedRedis{Budget: d}}
	closed := d.Policy() == spend.PolicyClosed
	if cfg.RateLimits.Enabled() {
		rl := ratelimit.NewDegrading(ratelimit.NewRedis(rc.Client(), ""), d.Breaker(), closed, cfg.Spend.Replicas)
		out.limiter = ratelimit.New(cfg.RateLimits, rl)
		out.health.Limits = rl
	}
	out.close = func() error {
		d.Close()
		return rc.Close()
	}
	log.Info("budgets and rate limits: Redis", "on_redis_error", string(d.Policy()), "replicas", max(1, cfg.Spend.Replicas))
	return out, nil
}

var (
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)
