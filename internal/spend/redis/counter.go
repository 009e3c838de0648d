// Package redis is the spend.Counter on Redis, so several gateway replicas
// share one budget. Each operation is one Lua script, which Redis runs
// atomically: the check "spent + reserved + amount <= limit" and the
// reservation across the key's and the global bucket cannot interleave with
// another replica's.
//
// Per bucket it keeps four keys under one hash tag (so the scripts also run
// on Redis Cluster): spent and rsum (integer nano-dollars), res (hash:
// reservation id → amount) and exp (sorted set: id → expiry, ms). Expired
// reservations, left by a replica that died mid-request, are dropped by the
// next reserve, so a crash cannot hold budget forever.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// Counter implements spend.Counter on Redis.
type Counter struct {
	rdb    goredis.UniversalClient
	prefix string
	own    bool
	now    func() time.Time
}

// DefaultPrefix namespaces the keys; it is also the cluster hash tag.
const DefaultPrefix = "llmrouter"

// New wraps an existing client. prefix "" means DefaultPrefix.
func New(rdb goredis.UniversalClient, prefix string) *Counter {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Counter{rdb: rdb, prefix: prefix, now: time.Now}
}

// Open connects to url (redis://[user:pass@]host:port/db, or rediss://) and
// checks the connection. The URL's password is never put in errors.
func Open(ctx context.Context, url, prefix string) (*Counter, error) {
	c, err := Dial(url, prefix)
	if err != nil {
		return nil, err
	}
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis %s: %w", c.Addr(), err)
	}
	return c, nil
}

// Dial is Open without the connection check, for callers that treat an
// unreachable Redis as an outage to ride out rather than a startup error.
// A malformed URL is still an error.
func Dial(url, prefix string) (*Counter, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %v", redactErr(err))
	}
	fastFail(opt)
	c := New(goredis.NewClient(opt), prefix)
	c.own = true
	return c, nil
}

// Addr is the server address the client connects to (no credentials).
func (c *Counter) Addr() string {
	if cl, ok := c.rdb.(*goredis.Client); ok {
		return cl.Options().Addr
	}
	return ""
}

// fastFail bounds each call so that a stopped or unreachable Redis is
// noticed within 100 ms (one dial, no retries; the breaker then stops
// calling it): go-redis's defaults, 5 s dials, five dial attempts and three
// retries with backoff, made every request of an outage take seconds. A
// Redis that accepts but hangs costs the requests in flight the read
// timeout, once. Values set in the URL's query win.
func fastFail(opt *goredis.Options) {
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 100 * time.Millisecond
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 500 * time.Millisecond
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = 500 * time.Millisecond
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = -1
	}
}

// redactErr drops the error text, which for a URL parse error may quote the
// URL and with it a password.
func redactErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return "cannot parse URL (expected redis://[user:password@]host:port/db)"
	}
	return err.Error()
}

// Close closes the client if Open created it.
func (c *Counter) Close() error {
	if c.own {
		return c.rdb.Close()
	}
	return nil
}

func (c *Counter) keys(buckets []spend.Bucket) []string {
	ks := make([]string, 0, 4*len(buckets))
	for _, b := range buckets {
		base := "{" + c.prefix + "}:b:" + b.Name
		ks = append(ks, base+":spent", base+":rsum", base+":res", base+":exp")
	}
	return ks
}

// reserveScript: KEYS = 4 per bucket; ARGV = id, amount, now_ms,
// expires_ms, n, then limit and ttl_ms per bucket. Returns the blocking
// bucket's index or -1.
var reserveScript = goredis.NewScript(`
local id, amount, now, exp, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
for i = 0, n - 1 do
  local k = i * 4
  local dead = redis.call('ZRANGEBYSCORE', KEYS[k+4], '-inf', now)
  for _, rid in ipairs(dead) do
    local a = redis.call('HGET', KEYS[k+3], rid)
    if a then
      redis.call('DECRBY', KEYS[k+2], a)
      redis.call('HDEL', KEYS[k+3], rid)
    end
    redis.call('ZREM', KEYS[k+4], rid)
  end
  local limit = tonumber(ARGV[6 + i * 2])
  if limit > 0 then
    local spent = tonumber(redis.call('GET', KEYS[k+1]) or '0')
    local rsum = tonumber(redis.call('GET', KEYS[k+2]) or '0')
    if spent + rsum + amount > limit then
      return i
    end
  end
end
for i = 0, n - 1 do
  local k = i * 4
  redis.call('INCRBY', KEYS[k+2], amount)
  redis.call('HSET', KEYS[k+3], id, amount)
  redis.call('ZADD', KEYS[k+4], exp, id)
  local ttl = tonumber(ARGV[7 + i * 2])
  if ttl > 0 then
    for j = 1, 4 do redis.call('PEXPIRE', KEYS[k+j], ttl) end
  end
end
return -1
`)

// settleScript: KEYS = 4 per bucket, then the reservation's done marker;
// ARGV = id, actual, n, marker_ttl_ms, then ttl_ms per bucket. The marker
// makes a retried commit (reply lost on the network) charge only once.
var settleScript = goredis.NewScript(`
local id, actual, n, mttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if not redis.call('SET', KEYS[n * 4 + 1], '1', 'PX', mttl, 'NX') then
  return 0
end
for i = 0, n - 1 do
  local k = i * 4
  local a = redis.call('HGET', KEYS[k+3], id)
  if a then
    redis.call('DECRBY', KEYS[k+2], a)
    redis.call('HDEL', KEYS[k+3], id)
    redis.call('ZREM', KEYS[k+4], id)
  end
  if actual > 0 then
    redis.call('INCRBY', KEYS[k+1], actual)
  end
  local ttl = tonumber(ARGV[5 + i])
  if ttl > 0 then
    for j = 1, 4 do redis.call('PEXPIRE', KEYS[k+j], ttl) end
  end
end
return 1
`)

// Reserve implements spend.Counter.
func (c *Counter) Reserve(ctx context.Context, id string, buckets []spend.Bucket, amount int64, ttl time.Duration) (int, error) {
	now := c.now()
	args := []any{id, amount, now.UnixMilli(), now.Add(ttl).UnixMilli(), len(buckets)}
	for _, b := range buckets {
		args = append(args, b.Limit, b.TTL.Milliseconds())
	}
	n, err := reserveScript.Run(ctx, c.rdb, c.keys(buckets), args...).Int()
	if err != nil {
		return 0, fmt.Errorf("redis reserve: %w", err)
	}
	return n, nil
}

func (c *Counter) settle(ctx context.Context, id string, buckets []spend.Bucket, actual int64) error {
	keys := append(c.keys(buckets), "{"+c.prefix+"}:done:"+id)
	args := []any{id, actual, len(buckets), doneTTL.Milliseconds()}
	for _, b := range buckets {
		args = append(args, b.TTL.Milliseconds())
	}
	if err := settleScript.Run(ctx, c.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("redis settle: %w", err)
	}
	return nil
}

// doneTTL is how long a settled reservation's marker lives. A retry comes
// within seconds; a day would cost one key per request per day (86M keys at
// 1,000 req/s), while 15 minutes costs ~1M keys at that rate.
const doneTTL = 15 * time.Minute

// Commit implements spend.Counter.
func (c *Counter) Commit(ctx context.Context, id string, buckets []spend.Bucket, actual int64) error {
	return c.settle(ctx, id, buckets, actual)
}

// Release implements spend.Counter.
func (c *Counter) Release(ctx context.Context, id string, buckets []spend.Bucket) error {
	return c.settle(ctx, id, buckets, 0)
}

// Usage implements spend.Counter.
func (c *Counter) Usage(ctx context.Context, bucket string) (int64, int64, error) {
	ks := c.keys([]spend.Bucket{{Name: bucket}})
	vals, err := c.rdb.MGet(ctx, ks[0], ks[1]).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("redis usage: %w", err)
	}
	var out [2]int64
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("redis usage: key %s holds %q, not an integer", ks[i], s)
		}
		out[i] = n
	}
	return out[0], out[1], nil
}

// Seed implements spend.Counter: SET NX, so a shared Redis that already
// counts this period keeps its (more complete) figure.
func (c *Counter) Seed(ctx context.Context, b spend.Bucket, spent int64) error {
	k := c.keys([]spend.Bucket{b})[0]
	if err := c.rdb.SetNX(ctx, k, spent, b.TTL).Err(); err != nil {
		return fmt.Errorf("redis seed: %w", err)
	}
	return nil
}

// Add implements spend.Adder: spend counted while Redis was down.
func (c *Counter) Add(ctx context.Context, b spend.Bucket, amount int64) error {
	k := c.keys([]spend.Bucket{b})[0]
	if err := addScript.Run(ctx, c.rdb, []string{k}, amount, b.TTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("redis add: %w", err)
	}
	return nil
}

// addScript keeps a period's TTL on a bucket the outage's spend creates.
var addScript = goredis.NewScript(`
redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// Ping checks that Redis answers (the breaker's probe, readiness).
func (c *Counter) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

var (
	_ spend.Counter       = (*Counter)(nil)
	_ spend.SharedCounter = (*Counter)(nil)
)

// Client is the Redis client, for the gateway's rate limits to share.
func (c *Counter) Client() goredis.UniversalClient { return c.rdb }
