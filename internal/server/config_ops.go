package server

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// Duration is a time.Duration that the config may also give in days
// ("30d"), the natural unit of a retention.
type Duration time.Duration

// UnmarshalYAML accepts "30d", "720h", "90m" and the like.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseFloat(days, 64)
		if err != nil {
			return fmt.Errorf("want a duration like 30d or 720h, got %q", s)
		}
		*d = Duration(v * float64(24*time.Hour))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration like 30d or 720h, got %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes whole days as "30d".
func (d Duration) MarshalYAML() (any, error) {
	v := time.Duration(d)
	if v%(24*time.Hour) == 0 && v != 0 {
		return fmt.Sprintf("%dd", v/(24*time.Hour)), nil
	}
	return v.String(), nil
}

// DefaultRetention is spend.retention when the config is silent.
const DefaultRetention = 30 * 24 * time.Hour

func (c *Config) applyOpsDefaults() {
	if c.Spend.Retention == nil {
		d := Duration(DefaultRetention)
		c.Spend.Retention = &d
	}
}

// retention is spend.retention (0: keep raw records for ever).
func (c *Config) retention() time.Duration {
	if c.Spend.Retention == nil {
		return DefaultRetention
	}
	return time.Duration(*c.Spend.Retention)
}

// BaselineModel is the model savings are measured against: spend.baseline_model,
// else policy_mapping.strong_model.
func (c *Config) BaselineModel() string {
	switch {
	case c.Spend.BaselineModel != "":
		return c.Spend.BaselineModel
	case c.PolicyMapping.StrongModel != "":
		return c.PolicyMapping.StrongModel
	}
	return policy.DefaultStrongModel
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateOps checks the operations settings: admin keys, allow-lists,
// rate limits and the spend store's.
func (c *Config) validateOps(cat *catalog.Catalogue) error {
	if err := validateKeys("auth.admin_keys", c.Auth.AdminKeys); err != nil {
		return err
	}
	for i, k := range c.Auth.AdminKeys {
		if c.Auth.hasID(k.ID) {
			return fmt.Errorf("auth.admin_keys[%d].id: %q is also a client key's id; use another so logs tell them apart", i, k.ID)
		}
		if len(k.Models) > 0 {
			return fmt.Errorf("auth.admin_keys[%d].models: admin keys make no chat requests, so they take no models", i)
		}
	}
	for i, k := range c.Auth.Keys {
		for j, m := range k.Models {
			if _, ok := cat.Models[m]; !ok {
				return fmt.Errorf("auth.keys[%d].models[%d]: unknown model %q (known: %s)", i, j, m, strings.Join(cat.Names(), ", "))
			}
		}
	}
	if err := c.RateLimits.Validate(); err != nil {
		return err
	}
	for id := range c.RateLimits.Keys {
		if !c.Auth.hasID(id) && id != spend.Anonymous {
			return fmt.Errorf("rate_limits.keys.%s: no auth key has this id", id)
		}
	}
	if env := c.Spend.PostgresURLEnv; env != "" && !envName.MatchString(env) {
		return fmt.Errorf("spend.postgres_url_env: must name an environment variable (like LLMROUTER_POSTGRES_URL), not hold the URL itself")
	}
	if err := spend.ValidatePolicy(c.Spend.OnRedisError); err != nil {
		return err
	}
	if c.Spend.Replicas < 0 {
		return fmt.Errorf("spend.replicas: must be >= 1 (the gateways sharing the Redis), got %d", c.Spend.Replicas)
	}
	if r := c.retention(); r < 0 {
		return fmt.Errorf("spend.retention: must be >= 0 (0 keeps raw records for ever), got %v", r)
	} else if r > 0 && r < 2*24*time.Hour {
		return fmt.Errorf("spend.retention: must be at least 2d (hourly reports need whole days of raw records), got %v", r)
	}
	if m := c.BaselineModel(); !hasModel(cat, m) {
		return fmt.Errorf("spend.baseline_model: unknown model %q (known: %s)", m, strings.Join(cat.Names(), ", "))
	}
	return nil
}

// validateKeys checks a list of keys (auth.keys, auth.admin_keys) named name.
func validateKeys(name string, keys []KeyConfig) error {
	seen := map[string]bool{}
	for i, k := range keys {
		if k.ID == "" {
			return fmt.Errorf("%s[%d].id: is required", name, i)
		}
		if seen[k.ID] {
			return fmt.Errorf("%s[%d].id: duplicate id %q", name, i, k.ID)
		}
		seen[k.ID] = true
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("%s[%d].sha256: must be 64 hex digits (printf %%s KEY | sha256sum), not the key itself", name, i)
		}
	}
	return nil
}

func hasModel(cat *catalog.Catalogue, name string) bool {
	_, ok := cat.Models[name]
	return ok
}
