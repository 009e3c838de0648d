package judge

import (
	"context"

	"github.com/llmrouter/llmrouter/internal/grade"
)

// Reference grades the cheap answer with the strong answer as the gold
// target, as RouteLLM labels traffic without gold answers. The strong
// answer is CORRECT by construction (it is the reference), so only one
// judge call is made per question and the cell is always <cheap>/CORRECT.
type Reference struct {
	j Judge
}

// NewReference wraps a gold-answer judge (an LLM judge) to grade against a
// reference answer instead.
func NewReference(j Judge) *Reference { return &Reference{j: j} }

// Grade grades answer to problem against reference. The judge sees the
// conversation's earlier turns (history, oldest first, bounded and
// delimited as in PairPrompt; nil for a lone question), the question, the
// reference in the gold target's place and one anonymous answer; it is not
// told where the reference came from.
func (r *Reference) Grade(ctx context.Context, history []Turn, problem, reference, answer string) (Verdict, error) {
	q := Question{Problem: withContext(history, problem), Gold: reference, Benchmark: MethodReference}
	v, err := r.j.Grade(ctx, q, answer)
	if err != nil {
		return Verdict{}, err
	}
	v.Method = MethodReference
	return v, nil
}

// ReferenceVerdict is the strong answer's verdict: CORRECT by construction,
// at no cost.
func ReferenceVerdict() Verdict {
	return Verdict{Grade: grade.Correct, Method: MethodReference, Raw: "reference answer"}
}
