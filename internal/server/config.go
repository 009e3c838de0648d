package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/llmrouter/llmrouter/internal/capture"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/mediafetch"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/ratelimit"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// Config is router.yaml. Zero values mean "use the default" (see
// applyDefaults); configs/router.example.yaml documents every setting.
type Config struct {
	// Listen is the address to serve on, e.g. ":8080".
	Listen string `yaml:"listen"`
	// LogFormat is "text" (default) or "json".
	LogFormat string `yaml:"log_format"`
	// LogFlushInterval batches log lines and writes them out at this
	// interval (default 100ms; 0 writes every line at once). A process
	// killed without warning loses at most this much of its log.
	LogFlushInterval *time.Duration `yaml:"log_flush_interval"`
	Auth             Auth           `yaml:"auth"`
	// Models is the catalogue, the same shape as the pipeline's models.yaml.
	// Empty: the built-in catalogue.
	Models map[string]catalog.Model `yaml:"models"`
	// Defaults is accepted (so one file can drive pipeline and gateway) but
	// not used by the gateway.
	Defaults      map[string]catalog.Roles `yaml:"defaults"`
	Router        RouterConfig             `yaml:"router"`
	PolicyMapping policy.Config            `yaml:"policy_mapping"`
	// Fallbacks maps a model to the models tried, in order, when it fails.
	Fallbacks map[string][]string `yaml:"fallbacks"`
	Budgets   spend.BudgetConfig  `yaml:"budgets"`
	Spend     SpendConfig         `yaml:"spend"`
	Retry     RetryConfig         `yaml:"retry"`
	Limits    Limits              `yaml:"limits"`
	// RateLimits caps requests and tokens per minute, per key and globally.
	RateLimits ratelimit.Config `yaml:"rate_limits"`
	// Multimodal governs fetching remote media for Gemini (off by default).
	Multimodal mediafetch.Config `yaml:"multimodal"`
	// Capture appends answered chat requests to a JSONL file for the
	// oracle pipeline (off by default; see internal/capture).
	Capture capture.Config `yaml:"capture"`
}

// Auth lists the gateway keys, stored as SHA-256 hashes.
type Auth struct {
	Keys []KeyConfig `yaml:"keys"`
	// AdminKeys open the dashboard (/ui) and the usage API (/v1/usage/);
	// they cannot make chat requests, and client keys cannot read usage.
	AdminKeys []KeyConfig `yaml:"admin_keys"`
}

// KeyConfig is one gateway key: an id used in logs, records and budgets,
// and the hex SHA-256 of the key (printf %s KEY | sha256sum).
type KeyConfig struct {
	ID     string `yaml:"id"`
	SHA256 string `yaml:"sha256"`
	// Models, when set, are the only catalogue models the key may use,
	// directly or through "router" and "router-cascade".
	Models []string `yaml:"models"`
}

// RouterConfig selects the trained router used for model "router".
type RouterConfig struct {
	// ModelPath is the trained model directory. Empty: no trained router;
	// "router" requests are mapped by policy_mapping rules alone.
	ModelPath string `yaml:"model_path"`
	// Threshold overrides the model's calibrated threshold when set.
	Threshold *float64 `yaml:"threshold"`
	// ScoreConversation scores all turns instead of the last user message.
	ScoreConversation bool `yaml:"score_conversation"`
	// CascadeThreshold overrides the cascade verifier's escalation
	// threshold for model "router-cascade" when set.
	CascadeThreshold *float64 `yaml:"cascade_threshold"`
	// Candidates lists the models an N-model router may choose from (a
	// subset of those it was trained on); empty: all of them.
	Candidates []string `yaml:"candidates"`
	// Watch reloads the model when its files at ModelPath change (as
	// SIGHUP does), polling every WatchInterval (default 2s).
	Watch         bool          `yaml:"watch"`
	WatchInterval time.Duration `yaml:"watch_interval"`
	// Kind is classifier (default: the trained model at ModelPath) or llm
	// (a fine-tuned LLM behind LLM.BaseURL, with the classifier, or the
	// rules without one, as its fallback).
	Kind string `yaml:"kind"`
	// LLM configures Kind llm.
	LLM LLMRouterConfig `yaml:"llm"`
}

// SpendConfig says where spend is recorded and budgets are counted.
type SpendConfig struct {
	// SQLitePath is the spend database; default ./data/spend.db (where
	// "llmrouter usage" looks by default).
	SQLitePath string `yaml:"sqlite_path"`
	// RedisURLEnv names the environment variable holding a redis:// URL,
	// to share budget counters across replicas. The URL may carry a
	// password, so it is never written in the config file itself.
	RedisURLEnv string `yaml:"redis_url_env"`
	// OnRedisError is what budgets and rate limits do while that Redis is
	// unreachable: local (default) or closed.
	OnRedisError spend.Policy `yaml:"on_redis_error"`
	// Replicas is how many gateways share the Redis (default 1): under
	// local each counts at most its share, limit/replicas, in an outage.
	Replicas int `yaml:"replicas"`
	// PostgresURLEnv names the environment variable holding a
	// postgres:// URL: replicas then share one spend store there, and
	// SQLitePath is not used.
	PostgresURLEnv string `yaml:"postgres_url_env"`
	// Retention is how long raw records are kept (default 30d; 0: for
	// ever); daily roll-ups are kept for ever.
	Retention *Duration `yaml:"retention"`
	// BaselineModel is the model savings are measured against (default
	// policy_mapping.strong_model).
	BaselineModel string `yaml:"baseline_model"`
}

// RetryConfig tunes retries of one model before falling back.
type RetryConfig struct {
	// MaxAttempts counts the first call; default 3, 1 disables retries.
	MaxAttempts int           `yaml:"max_attempts"`
	BaseDelay   time.Duration `yaml:"base_delay"`
	MaxDelay    time.Duration `yaml:"max_delay"`
}

// Limits protect the gateway from slow, large or runaway requests.
type Limits struct {
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
	RequestTimeout    time.Duration `yaml:"request_timeout"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	// DefaultMaxTokens caps the output of requests that set no max_tokens;
	// it is sent upstream so the budget reservation is a true maximum.
	DefaultMaxTokens int `yaml:"default_max_tokens"`
}

// LoadConfig reads and validates path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig decodes and validates a router.yaml; name prefixes errors.
// Unknown settings are errors, since a misspelt limit silently ignored is
// a limit not enforced.
func ParseConfig(data []byte, name string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // empty file: defaults
		return nil, fmt.Errorf("%s: %s", name, oneLine(catalog.DescribeYAMLError(data, err).Error()))
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (c *Config) applyDefaults() {
	def := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.LogFlushInterval == nil {
		d := defaultLogFlushInterval
		c.LogFlushInterval = &d
	}
	if c.Spend.SQLitePath == "" {
		c.Spend.SQLitePath = "./data/spend.db"
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 3
	}
	def(&c.Retry.BaseDelay, 250*time.Millisecond)
	def(&c.Retry.MaxDelay, 5*time.Second)
	l := &c.Limits
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 20 << 20 // room for base64 images, audio and files
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.DefaultMaxTokens == 0 {
		l.DefaultMaxTokens = 4096
	}
	def(&l.RequestTimeout, 5*time.Minute)
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 60*time.Second)
	def(&l.IdleTimeout, 120*time.Second)
	def(&l.ShutdownTimeout, 30*time.Second)
	def(&c.Router.WatchInterval, 2*time.Second)
	c.applyOpsDefaults()
}

// Catalogue returns the models section as a catalogue (the built-in one
// when the section is empty), with every model validated.
func (c *Config) Catalogue() (*catalog.Catalogue, error) {
	if len(c.Models) == 0 {
		return catalog.DefaultCatalogue()
	}
	data, err := yaml.Marshal(catalog.Catalogue{Models: c.Models})
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return catalog.ParseCatalogue(data, "models")
}

// defaultLogFlushInterval is log_flush_interval when the config is silent.
const defaultLogFlushInterval = 100 * time.Millisecond

// Validate reports the first bad setting on one line, named as in the file.
func (c *Config) Validate() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log_format: must be text or json, got %q", c.LogFormat)
	}
	if d := c.LogFlushInterval; d != nil && (*d < 0 || *d > time.Minute) {
		return fmt.Errorf("log_flush_interval: must be between 0 (every line at once) and 1m, got %s", *d)
	}
	if err := c.Auth.validate(); err != nil {
		return err
	}
	cat, err := c.Catalogue()
	if err != nil {
		return err
	}
	if len(cat.Models) == 0 {
		return errors.New("models: at least one model is required")
	}
	for name := range cat.Models {
		if name == "router" || strings.HasPrefix(name, "router-") {
			return fmt.Errorf("models.%s: names starting with \"router\" are reserved for routing", name)
		}
	}
	if t := c.Router.Threshold; t != nil && !(*t >= 0 && *t <= 1) {
		return fmt.Errorf("router.threshold: must be in [0, 1], got %v", *t)
	}
	if t := c.Router.CascadeThreshold; t != nil && !(*t >= 0 && *t <= 1) {
		return fmt.Errorf("router.cascade_threshold: must be in [0, 1], got %v", *t)
	}
	if err := c.Router.validateWatch(); err != nil {
		return err
	}
	if err := c.Router.validateKind(); err != nil {
		return err
	}
	if _, err := policy.New(c.PolicyMapping, cat); err != nil {
		return fmt.Errorf("policy_mapping: %w", err)
	}
	if err := c.validateCandidates(cat); err != nil {
		return err
	}
	if err := c.validateFallbacks(cat); err != nil {
		return err
	}
	if err := c.Budgets.Validate(); err != nil {
		return err
	}
	for id := range c.Budgets.Keys {
		if !c.Auth.hasID(id) && id != spend.Anonymous {
			return fmt.Errorf("budgets.keys.%s: no auth key has this id", id)
		}
	}
	if err := c.validateOps(cat); err != nil {
		return err
	}
	if err := c.Capture.Validate(); err != nil {
		return err
	}
	return c.validateLimits()
}

func (a Auth) validate() error { return validateKeys("auth.keys", a.Keys) }

func (a Auth) hasID(id string) bool {
	for _, k := range a.Keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

func (c *Config) validateFallbacks(cat *catalog.Catalogue) error {
	for from, chain := range c.Fallbacks {
		if _, ok := cat.Models[from]; !ok {
			return fmt.Errorf("fallbacks.%s: unknown model (known: %s)", from, strings.Join(cat.Names(), ", "))
		}
		for i, to := range chain {
			if _, ok := cat.Models[to]; !ok {
				return fmt.Errorf("fallbacks.%s[%d]: unknown model %q (known: %s)", from, i, to, strings.Join(cat.Names(), ", "))
			}
			if to == from {
				return fmt.Errorf("fallbacks.%s[%d]: a model cannot fall back to itself", from, i)
			}
		}
	}
	return nil
}

func (c *Config) validateLimits() error {
	l := c.Limits
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"limits.request_timeout", l.RequestTimeout}, {"limits.read_header_timeout", l.ReadHeaderTimeout},
		{"limits.read_timeout", l.ReadTimeout}, {"limits.idle_timeout", l.IdleTimeout},
		{"limits.shutdown_timeout", l.ShutdownTimeout}, {"retry.base_delay", c.Retry.BaseDelay},
		{"retry.max_delay", c.Retry.MaxDelay},
	}
	for _, d := range durations {
		if d.d < 0 {
			return fmt.Errorf("%s: must be > 0, got %v", d.name, d.d)
		}
	}
	switch {
	case l.MaxBodyBytes < 0:
		return fmt.Errorf("limits.max_body_bytes: must be > 0, got %d", l.MaxBodyBytes)
	case l.MaxHeaderBytes < 0:
		return fmt.Errorf("limits.max_header_bytes: must be > 0, got %d", l.MaxHeaderBytes)
	case l.DefaultMaxTokens < 0:
		return fmt.Errorf("limits.default_max_tokens: must be > 0, got %d", l.DefaultMaxTokens)
	case c.Retry.MaxAttempts < 0:
		return fmt.Errorf("retry.max_attempts: must be >= 1, got %d", c.Retry.MaxAttempts)
	}
	return nil
}
