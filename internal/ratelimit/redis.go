package ratelimit

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"
)

// Redis is the Store shared by replicas: each Take is one Lua script, so
// the check and the count cannot interleave with another replica's.
// Keys live under the budget counters' hash tag, one hash (fields r and
// t) per scope and window, expiring three windows later.
type Redis struct {
	rdb    goredis.UniversalClient
	prefix string
}

// NewRedis uses rdb (the budget counter's client); prefix "" is
// "llmrouter", the budget counters' hash tag.
func NewRedis(rdb goredis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = "llmrouter"
	}
	return &Redis{rdb: rdb, prefix: prefix}
}

func (r *Redis) key(scope string, win int64) string {
	return "{" + r.prefix + "}:rl:" + scope + ":" + strconv.FormatInt(win, 10)
}

// takeScript: KEYS = previous and current window per scope; ARGV = frac,
// tokens, n, ttl_ms, then the requests and tokens limits per scope.
// Returns the blocking scope's index (or -1), then four counters per scope.
var takeScript = goredis.NewScript(`
local frac, tokens, n, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local blocked = -1
local c = {}
for i = 0, n - 1 do
  local p = redis.call('HMGET', KEYS[2*i+1], 'r', 't')
  local q = redis.call('HMGET', KEYS[2*i+2], 'r', 't')
  local pr, pt = tonumber(p[1] or '0'), tonumber(p[2] or '0')
  local cr, ct = tonumber(q[1] or '0'), tonumber(q[2] or '0')
  c[i*4+1], c[i*4+2], c[i*4+3], c[i*4+4] = pr, cr, pt, ct
  local rl, tl = tonumber(ARGV[5+2*i]), tonumber(ARGV[6+2*i])
  if blocked < 0 then
    if (rl > 0 and pr * (1 - frac) + cr + 1 > rl) or (tl > 0 and pt * (1 - frac) + ct + tokens > tl) then
      blocked = i
    end
  end
end
if blocked < 0 then
  for i = 0, n - 1 do
    c[i*4+2] = redis.call('HINCRBY', KEYS[2*i+2], 'r', 1)
    c[i*4+4] = redis.call('HINCRBY', KEYS[2*i+2], 't', tokens)
    redis.call('PEXPIRE', KEYS[2*i+2], ttl)
  end
end
local out = {blocked}
for i = 1, n * 4 do out[i+1] = c[i] end
return out
`)

// adjustScript: KEYS = one window per scope; ARGV = delta. A window
// already expired is left alone rather than recreated without a TTL.
var adjustScript = goredis.NewScript(`
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBY', KEYS[i], 't', ARGV[1])
  end
end
return 0
`)

// Take implements Store.
func (r *Redis) Take(ctx context.Context, scopes []Scope, win int64, frac float64, tokens int64) (int, []Counts, error) {
	keys := make([]string, 0, 2*len(scopes))
	args := []any{strconv.FormatFloat(frac, 'f', -1, 64), tokens, len(scopes), (3 * Window).Milliseconds()}
	for _, s := range scopes {
		keys = append(keys, r.key(s.Name, win-1), r.key(s.Name, win))
		args = append(args, s.Limit.RequestsPerMinute, s.Limit.TokensPerMinute)
	}
	vals, err := takeScript.Run(ctx, r.rdb, keys, args...).Int64Slice()
	if err != nil {
		return 0, nil, fmt.Errorf("redis rate limit: %w", err)
	}
	if len(vals) != 1+4*len(scopes) {
		return 0, nil, fmt.Errorf("redis rate limit: script returned %d values, want %d", len(vals), 1+4*len(scopes))
	}
	counts := make([]Counts, len(scopes))
	for i := range counts {
		v := vals[1+4*i:]
		counts[i] = Counts{PrevRequests: v[0], CurRequests: v[1], PrevTokens: v[2], CurTokens: v[3]}
	}
	return int(vals[0]), counts, nil
}

// Adjust implements Store.
func (r *Redis) Adjust(ctx context.Context, scopes []Scope, win int64, delta int64) error {
	keys := make([]string, len(scopes))
	for i, s := range scopes {
		keys[i] = r.key(s.Name, win)
	}
	if err := adjustScript.Run(ctx, r.rdb, keys, delta).Err(); err != nil {
		return fmt.Errorf("redis rate limit: %w", err)
	}
	return nil
}

var _ Store = (*Redis)(nil)
