package capture

import (
	"fmt"
	"regexp"
	"time"
)

// Config is router.yaml's capture section. Zero values take the defaults
// documented on each field.
type Config struct {
	// Enabled turns capture off when false; absent, a set Path turns it on.
	Enabled *bool `yaml:"enabled"`
	// Path is the JSONL file rows are appended to; empty: capture is off.
	Path string `yaml:"path"`
	// SampleRate is the share of requests kept, in [0, 1] (default 1).
	// The choice hashes the request id, so it is the same on every run.
	SampleRate *float64 `yaml:"sample_rate"`
	// MaxSizeMB rotates the file once it would grow past this (default 100).
	MaxSizeMB int `yaml:"max_size_mb"`
	// MaxFiles is how many rotated files (path.1 … path.N) are kept
	// (default 5); older ones are deleted.
	MaxFiles int `yaml:"max_files"`
	// Redact lists regular expressions (RE2) whose matches are replaced by
	// "[REDACTED]" in the query and every message before a row is written.
	Redact []string `yaml:"redact"`
	// Conversation is last_user (default: the routed text only) or full
	// (every message's text as well).
	Conversation string `yaml:"conversation"`
	// FlushInterval is the longest a row waits before being written
	// (default 200ms).
	FlushInterval time.Duration `yaml:"flush_interval"`
	// QueueSize bounds the rows waiting to be written (default 8192; and
	// their text to 64 MiB); a row arriving when it is full is dropped and
	// counted.
	QueueSize int `yaml:"queue_size"`
}

// Conversation settings.
const (
	LastUser = "last_user"
	Full     = "full"
)

// Redacted replaces every match of a redact pattern.
const Redacted = "[REDACTED]"

const (
	defaultMaxSizeMB     = 100
	defaultMaxFiles      = 5
	defaultFlushInterval = 200 * time.Millisecond
	defaultQueueSize     = 8192
)

// On reports whether capture is configured to run.
func (c Config) On() bool {
	return c.Path != "" && (c.Enabled == nil || *c.Enabled)
}

// FullConversation reports whether rows carry every message.
func (c Config) FullConversation() bool { return c.Conversation == Full }

// Validate reports the first bad setting on one line, named as in
// router.yaml.
func (c Config) Validate() error {
	if c.Enabled != nil && *c.Enabled && c.Path == "" {
		return fmt.Errorf("capture.path: is required when capture.enabled is true")
	}
	if r := c.SampleRate; r != nil && !(*r >= 0 && *r <= 1) {
		return fmt.Errorf("capture.sample_rate: must be in [0, 1], got %v", *r)
	}
	if c.MaxSizeMB < 0 {
		return fmt.Errorf("capture.max_size_mb: must be >= 1 (default %d), got %d", defaultMaxSizeMB, c.MaxSizeMB)
	}
	if c.MaxFiles < 0 {
		return fmt.Errorf("capture.max_files: must be >= 1 (default %d), got %d", defaultMaxFiles, c.MaxFiles)
	}
	switch c.Conversation {
	case "", LastUser, Full:
	default:
		return fmt.Errorf("capture.conversation: must be %s or %s, got %q", LastUser, Full, c.Conversation)
	}
	if d := c.FlushInterval; d < 0 || d > time.Minute {
		return fmt.Errorf("capture.flush_interval: must be between 0 (default %s) and 1m, got %s", defaultFlushInterval, d)
	}
	if c.QueueSize < 0 {
		return fmt.Errorf("capture.queue_size: must be >= 1 (default %d), got %d", defaultQueueSize, c.QueueSize)
	}
	_, err := compileRedact(c.Redact)
	return err
}

// compileRedact compiles the redact patterns, naming a bad one by index.
func compileRedact(patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("capture.redact[%d]: %w", i, err)
		}
		// A pattern matching "" would put a marker between every
		// character and hide nothing.
		if re.MatchString("") {
			return nil, fmt.Errorf("capture.redact[%d]: %q matches the empty string; it must match at least one character", i, p)
		}
		out = append(out, re)
	}
	return out, nil
}

func (c Config) withDefaults() Config {
	if c.SampleRate == nil {
		one := 1.0
		c.SampleRate = &one
	}
	if c.MaxSizeMB == 0 {
		c.MaxSizeMB = defaultMaxSizeMB
	}
	if c.MaxFiles == 0 {
		c.MaxFiles = defaultMaxFiles
	}
	if c.Conversation == "" {
		c.Conversation = LastUser
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = defaultFlushInterval
	}
	if c.QueueSize == 0 {
		c.QueueSize = defaultQueueSize
	}
	return c
}
