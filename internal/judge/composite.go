package judge

import (
	"context"
	"strings"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
)

// RecordedTable holds the recorded grade of every recorded full response,
// keyed by (normalised prompt, answer text) and never by model: a response's
// grade is a property of its text, and keying by model would unblind the
// judge.
type RecordedTable struct {
	grades map[string]string
}

// NewRecordedTable indexes the responses of recorded items (GSM8K carries
// full responses; MMLU rows without responses are skipped). If two recorded
// responses with the same text disagree, that text is left undecided.
func NewRecordedTable(items []dataset.RecordedItem) *RecordedTable {
	t := &RecordedTable{grades: make(map[string]string)}
	conflict := map[string]bool{}
	add := func(prompt, resp string, ok bool) {
		if strings.TrimSpace(resp) == "" {
			return
		}
		k := tableKey(prompt, resp)
		g := gradeOf(ok)
		if old, seen := t.grades[k]; seen && old != g {
			conflict[k] = true
		}
		t.grades[k] = g
	}
	for _, it := range items {
		add(it.Prompt, it.CheapResponse, it.CheapCorrect)
		add(it.Prompt, it.StrongResponse, it.StrongCorrect)
	}
	for k := range conflict {
		delete(t.grades, k)
	}
	return t
}

// Len is the number of recorded responses indexed.
func (t *RecordedTable) Len() int { return len(t.grades) }

// Lookup returns the recorded grade of answer to prompt.
func (t *RecordedTable) Lookup(prompt, answer string) (string, bool) {
	if t == nil {
		return "", false
	}
	g, ok := t.grades[tableKey(prompt, answer)]
	return g, ok
}

// tableKey normalises whitespace in the prompt (splits and user edits reflow
// it) but keeps the answer's text exact apart from surrounding space.
func tableKey(prompt, answer string) string {
	return strings.Join(strings.Fields(prompt), " ") + "\x00" + strings.TrimSpace(answer)
}

// Rule returns the composite mechanical judge. In order:
//  1. a replayed "(recorded outcome) X" answer takes its recorded grade;
//  2. a recorded full response (GSM8K) takes the grade recorded for its
//     exact text, which is ground truth and beats re-deriving it;
//  3. SimpleQA is never graded mechanically;
//  4. a letter gold (A–D) is graded by the chosen letter;
//  5. a numeric gold is graded by the final number;
//  6. otherwise nothing can decide: NOT_ATTEMPTED with method "none", which
//     Chain uses to fall back to an LLM judge.
//
// table may be nil.
func Rule(table *RecordedTable) Judge { return rule{table: table} }

type rule struct{ table *RecordedTable }

func (rule) Local() bool { return true }

func (r rule) Grade(ctx context.Context, q Question, answer string) (Verdict, error) {
	if g, ok := grade.ParseRecordedOutcome(answer); ok {
		return Verdict{Grade: g, Method: MethodRecorded, Raw: g}, nil
	}
	if g, ok := r.table.Lookup(q.Problem, answer); ok {
		return Verdict{Grade: g, Method: MethodRecorded, Raw: g}, nil
	}
	// SimpleQA golds can look mechanical ("A" for a vitamin, a bare year)
	// while the answers are prose, where picking a letter or the final
	// number misreads them: those need a rubric judge.
	if q.Benchmark == "simpleqa" {
		return undecided("free-form benchmark"), nil
	}
	if _, ok := GoldLetter(q.Gold); ok {
		return Choice{}.Grade(ctx, q, answer)
	}
	if _, ok := goldNumber(q.Gold); ok {
		return Numeric{}.Grade(ctx, q, answer)
	}
	return undecided("no rule applies"), nil
}
