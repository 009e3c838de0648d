package oracle

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/judge"
)

// Labels: how the oracle turns answers into a cell when there is, or is
// not, a gold answer.
const (
	// LabelGold grades each answer against the item's gold answer.
	LabelGold = ""
	// LabelPairwise asks a judge to compare the two answers, once in each
	// order; the combined outcome is encoded as a cell (judge.OutcomeGrades).
	LabelPairwise = "pairwise"
	// LabelReference grades the cheap answer with the strong answer as the
	// gold target; the strong answer is CORRECT by construction.
	LabelReference = "reference"
)

// KindCompare is the journal kind of a pairwise judge call; its side is
// SideCheapFirst or SideStrongFirst, the order the answers were shown in.
const (
	KindCompare     = "compare"
	SideCheapFirst  = "cheap_first"
	SideStrongFirst = "strong_first"
)

// PairJudge compares two anonymous answers (judge.Pairwise does); history
// is the conversation before the question, nil for a lone question.
type PairJudge interface {
	Compare(ctx context.Context, history []judge.Turn, question, answerA, answerB string) (judge.PairVerdict, error)
}

// ReferenceJudge grades an answer against a reference answer
// (judge.Reference does), with the conversation's earlier turns as context.
type ReferenceJudge interface {
	Grade(ctx context.Context, history []judge.Turn, problem, reference, answer string) (judge.Verdict, error)
}

//go:embed matrix_pairwise.yaml
var pairwiseMatrixYAML []byte

// PairwiseMatrix is the built-in matrix for pairwise labels
// (matrix_pairwise.yaml).
func PairwiseMatrix() Matrix {
	m, err := ParseMatrix(pairwiseMatrixYAML, "built-in matrix_pairwise.yaml")
	if err != nil {
		panic(err) // the embedded file is tested; this is a build defect
	}
	return m
}

// PairwiseMatrixYAML returns the built-in pairwise matrix file.
func PairwiseMatrixYAML() []byte { return append([]byte(nil), pairwiseMatrixYAML...) }

// DefaultMatrixFor is the built-in matrix a label mode uses when no
// --matrix is given: matrix_pairwise.yaml for pairwise, matrix.yaml
// otherwise (reference grades are ordinary grades).
func DefaultMatrixFor(label string) Matrix {
	if label == LabelPairwise {
		return PairwiseMatrix()
	}
	return DefaultMatrix()
}

// PairCall is one ordering's judge call as a row records it.
type PairCall struct {
	Verdict string  `json:"verdict"`
	Raw     string  `json:"raw"`
	Cost    float64 `json:"cost_usd"`
}

// PairwiseResult records a pairwise label so it can be audited: what the
// judge said in each order, and the outcome the two combine to.
type PairwiseResult struct {
	Judge       string   `json:"judge"`
	CheapFirst  PairCall `json:"cheap_first"`
	StrongFirst PairCall `json:"strong_first"`
	// Outcome is tie, strong_better, cheap_better or both_poor.
	Outcome string  `json:"outcome"`
	CostUSD float64 `json:"judge_cost_usd"`
}

func validateLabel(cfg *Config) error {
	switch cfg.Label {
	case LabelGold:
		return nil
	case LabelPairwise:
		if cfg.Pairwise == nil {
			return errors.New("oracle: pairwise labels need a pairwise judge")
		}
	case LabelReference:
		if cfg.Reference == nil {
			return errors.New("oracle: reference labels need a reference judge")
		}
	default:
		return fmt.Errorf("oracle: unknown label mode %q (want pairwise or reference, or empty for gold answers)", cfg.Label)
	}
	if len(cfg.Models) != 2 {
		return fmt.Errorf("oracle: %s labels compare exactly the cheap and the strong model, got %d models", cfg.Label, len(cfg.Models))
	}
	return nil
}

func validateCompare(r CallRecord) error {
	switch {
	case r.Side != SideCheapFirst && r.Side != SideStrongFirst:
		return fmt.Errorf("unknown %s side %q", KindCompare, r.Side)
	case !judge.ValidPairVerdict(r.Result.Verdict):
		return fmt.Errorf("unknown pairwise verdict %q", r.Result.Verdict)
	}
	return nil
}

// labelNoGold answers with both models, then labels the item from both
// answers at once: the judge needs them side by side.
func (r *runner) labelNoGold(st *itemState, it dataset.Item) error {
	if err := r.eachSide(func(i int) error { return r.answerSide(st, i, it) }); err != nil {
		return err
	}
	if err := comparable(st.ans); err != nil {
		r.halt(fmt.Errorf("item %s: %w", it.ID, err))
		return err
	}
	if r.cfg.Label == LabelPairwise {
		return r.comparePair(st, it)
	}
	return r.gradeReference(st, it)
}

// comparable refuses recorded-outcome stand-ins: they carry a grade, not
// an answer, so a judge comparing them would read the labels it is meant
// to produce.
func comparable(ans []*CallRecord) error {
	for _, a := range ans {
		if _, ok := grade.ParseRecordedOutcome(a.Result.Text); ok {
			return fmt.Errorf("%s answer is a recorded outcome, not a text a judge can compare; recorded benchmarks are graded with the gold judge", a.Side)
		}
	}
	return nil
}

// comparePair sends the two orderings concurrently, each journaled on its
// own so a resume never pays for one twice, then sets both grades from the
// combined outcome.
func (r *runner) comparePair(st *itemState, it dataset.Item) error {
	cheap, strong := st.ans[r.cheap].Result.Text, st.ans[r.strong].Result.Text
	history, question := judgeView(it)
	orders := [2]struct{ side, a, b string }{
		{SideCheapFirst, cheap, strong},
		{SideStrongFirst, strong, cheap},
	}
	var errs [2]error
	var wg sync.WaitGroup
	for k, o := range orders {
		wg.Go(func() {
			rec, err := r.call(keyOf(it, KindCompare, o.side), r.cfg.JudgeName, func(ctx context.Context) (CallResult, error) {
				v, err := r.cfg.Pairwise.Compare(ctx, history, question, o.a, o.b)
				if err != nil {
					return CallResult{}, err
				}
				return CallResult{Text: v.Raw, Usage: v.Usage, Cost: v.Cost, LatencyMS: ms(v.Latency),
					Verdict: v.Verdict, Method: judge.MethodPairwise}, nil
			}, false)
			if err != nil {
				errs[k] = r.failure(it, o.side, KindCompare, err)
				return
			}
			st.pair[k] = rec
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	outcome := judge.Combine(st.pair[0].Result.Verdict, st.pair[1].Result.Verdict)
	cg, sg, err := judge.OutcomeGrades(outcome)
	if err != nil {
		return err
	}
	st.grade[r.cheap] = r.derivedGrade(it.ID, SideCheap, cg, judge.MethodPairwise)
	st.grade[r.strong] = r.derivedGrade(it.ID, SideStrong, sg, judge.MethodPairwise)
	return nil
}

// gradeReference grades the cheap answer against the strong one (one
// journaled judge call); the strong grade is CORRECT by construction.
func (r *runner) gradeReference(st *itemState, it dataset.Item) error {
	reference := st.ans[r.strong].Result.Text
	answer := st.ans[r.cheap].Result.Text
	history, question := judgeView(it)
	gr, err := r.call(keyOf(it, KindGrade, SideCheap), r.cfg.JudgeName, func(ctx context.Context) (CallResult, error) {
		v, err := r.cfg.Reference.Grade(ctx, history, question, reference, answer)
		if err != nil {
			return CallResult{}, err
		}
		return gradeResult(v), nil
	}, false)
	if err != nil {
		return r.failure(it, SideCheap, KindGrade, err)
	}
	st.grade[r.cheap] = gr
	ref := judge.ReferenceVerdict()
	st.grade[r.strong] = r.derivedGrade(it.ID, SideStrong, ref.Grade, ref.Method)
	return nil
}

// derivedGrade is a grade computed from journaled calls, not a call itself:
// it costs nothing and is never journaled.
func (r *runner) derivedGrade(id, side, g, method string) *CallRecord {
	return &CallRecord{ID: id, Kind: KindGrade, Side: side, Model: r.cfg.JudgeName, Result: CallResult{Grade: g, Method: method}}
}

// pairwiseResult is the audit record of an item's pairwise label.
func (r *runner) pairwiseResult(st *itemState) *PairwiseResult {
	a, b := st.pair[0].Result, st.pair[1].Result
	return &PairwiseResult{
		Judge:       r.cfg.JudgeName,
		CheapFirst:  PairCall{Verdict: a.Verdict, Raw: a.Text, Cost: a.Cost},
		StrongFirst: PairCall{Verdict: b.Verdict, Raw: b.Text, Cost: b.Cost},
		Outcome:     judge.Combine(a.Verdict, b.Verdict),
		CostUSD:     a.Cost + b.Cost,
	}
}

// addPairCosts counts the pairwise judge's calls into the judge totals,
// those of skipped items included: they were paid for.
func (s *Summary) addPairCosts(st *itemState) {
	for _, p := range st.pair {
		if p == nil {
			continue
		}
		s.Judge.CostUSD += p.Result.Cost
		s.Judge.TokenTotals.add(p.Result)
		s.Judge.Methods[KindCompare]++
	}
}
