package judge

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// LLM grades with a language model following a SimpleQA-style rubric. It
// sends the question, the gold target and one anonymous answer, nothing else.
type LLM struct {
	judgeModel
}

// NewLLM returns a judge that asks p, using model's upstream id and prices.
func NewLLM(p provider.Provider, model catalog.Model) *LLM {
	return &LLM{judgeModel{p: p, model: model}}
}

// judgeModel is one judge model behind its provider.
type judgeModel struct {
	p     provider.Provider
	model catalog.Model
}

// ask sends prompt alone as one user turn at temperature 0, so that a
// rerun grades alike, and prices the reply at the judge model's rates.
// what names the judge in errors.
func (m judgeModel) ask(ctx context.Context, what, prompt string) (*provider.Response, float64, error) {
	zero := 0.0
	req := &provider.Request{
		Model:       m.model.UpstreamModel,
		Messages:    []provider.Message{{Role: "user", Content: prompt}},
		Temperature: &zero,
	}
	resp, err := m.p.Complete(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", what, m.model.UpstreamModel, err)
	}
	return resp, m.model.Price.Cost(resp.Usage.InputTokens, resp.Usage.BilledOutput()), nil
}

// rubric is our own wording of the SimpleQA grading rules: the three grades,
// what counts as each, and a one-letter reply so parsing is unambiguous.
const rubric = `You grade one answer to a question against a gold target. You do not know who or what wrote the answer; judge only its content.

Choose exactly one grade:
A) CORRECT: the answer contains the key information of the gold target and nothing in it contradicts the gold target. Extra detail, different wording, spelling variants, omitted middle names and harmless hedging are fine, as long as the answer commits to the gold information. For a number, the answer must match the gold to the precision the gold is stated at.
B) INCORRECT: the answer states something that contradicts the gold target, or commits to a wrong answer, even if it hedges ("I think", "possibly"). Listing several candidates where any is wrong also counts as INCORRECT.
C) NOT_ATTEMPTED: the answer does not give the key information of the gold target and does not contradict it: it refuses, says it does not know, asks for more context, or talks around the question.

Do not try to answer the question yourself and do not penalise the answer for being short. Judge only against the gold target.

Question:
%s

Gold target:
%s

Answer to grade:
%s

Reply with a single letter, A, B or C, and nothing else.`

// Grade implements Judge.
func (j *LLM) Grade(ctx context.Context, q Question, answer string) (Verdict, error) {
	resp, cost, err := j.ask(ctx, "judge", fmt.Sprintf(rubric, q.Problem, q.Gold, answer))
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{
		Grade:   ParseLetterGrade(resp.Text),
		Method:  MethodLLM,
		Raw:     resp.Text,
		Usage:   resp.Usage,
		Cost:    cost,
		Latency: resp.Latency,
	}, nil
}

var (
	// A lone letter: at the start, or as its own token ("Grade: B", "(C)").
	letterRE = regexp.MustCompile(`(?:^|[^A-Za-z])([ABC])(?:$|[^A-Za-z])`)
	wordRE   = regexp.MustCompile(`\b(NOT_ATTEMPTED|NOT ATTEMPTED|INCORRECT|CORRECT)\b`)
)

// ParseLetterGrade maps a judge reply to a grade. The first standalone
// letter A, B or C decides; failing that, a spelled-out grade word. Anything
// else counts as NOT_ATTEMPTED, as in the official SimpleQA grader, so a
// confused judge never invents a correct answer.
func ParseLetterGrade(reply string) string {
	s := strings.TrimSpace(reply)
	if m := letterRE.FindStringSubmatch(s); m != nil {
		switch m[1] {
		case "A":
			return grade.Correct
		case "B":
			return grade.Incorrect
		default:
			return grade.NotAttempted
		}
	}
	if m := wordRE.FindStringSubmatch(strings.ToUpper(s)); m != nil {
		switch m[1] {
		case "CORRECT":
			return grade.Correct
		case "INCORRECT":
			return grade.Incorrect
		}
	}
	return grade.NotAttempted
}
