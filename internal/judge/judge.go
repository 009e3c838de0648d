// Package judge grades one answer to one question as CORRECT, INCORRECT or
// NOT_ATTEMPTED. Judges are blind by construction: a Question carries the
// problem, the gold target and the benchmark, never which model answered, so
// no judge can prefer its own family's answers.
package judge

import (
	"context"
	"time"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// Methods record which judge decided a verdict.
const (
	MethodLLM      = "llm"
	MethodChoice   = "choice"
	MethodNumeric  = "numeric"
	MethodRecorded = "recorded"
	// MethodNone means no judge could decide; the grade is NOT_ATTEMPTED.
	MethodNone = "none"
)

// Question is everything a judge may see besides the answer.
type Question struct {
	Problem string
	Gold    string
	// Benchmark is "simpleqa", "mmlu", "gsm8k", "custom" or empty.
	Benchmark string
}

// Verdict is a judge's grade plus what it cost to obtain.
type Verdict struct {
	Grade  string `json:"grade"`
	Method string `json:"method"`
	// Raw is the LLM judge's reply, or the value a rule extracted.
	Raw     string         `json:"raw,omitempty"`
	Usage   provider.Usage `json:"usage"`
	Cost    float64        `json:"cost_usd"`
	Latency time.Duration  `json:"latency_ns"`
}

// Decided reports whether some judge actually decided the grade.
func (v Verdict) Decided() bool { return v.Method != MethodNone }

// Judge grades answers. Implementations must be safe for concurrent use.
type Judge interface {
	Grade(ctx context.Context, q Question, answer string) (Verdict, error)
}

// Local is implemented by judges that never call an upstream; the oracle
// does not rate-limit or count them against concurrency.
type Local interface {
	Local() bool
}

// IsLocal reports whether j grades without any upstream call.
func IsLocal(j Judge) bool {
	l, ok := j.(Local)
	return ok && l.Local()
}

// Chain asks first and, when first cannot decide, then. It lets a
// mechanical check (a letter, a final number, a recorded outcome) take
// precedence over a paid LLM judge, which sees only what rules cannot settle.
func Chain(first, then Judge) Judge { return chain{first, then} }

type chain struct{ first, then Judge }

func (c chain) Grade(ctx context.Context, q Question, answer string) (Verdict, error) {
	v, err := c.first.Grade(ctx, q, answer)
	if err != nil || v.Decided() {
		return v, err
	}
	return c.then.Grade(ctx, q, answer)
}

func (c chain) Local() bool { return IsLocal(c.first) && IsLocal(c.then) }
