package judge

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// Methods of the judges that label without a gold answer.
const (
	MethodPairwise  = "pairwise"
	MethodReference = "reference"
)

// What a pairwise judge says about one ordering of two answers, in that
// ordering's terms (A is the answer shown first).
const (
	PairA        = "A"         // answer A is clearly better
	PairB        = "B"         // answer B is clearly better
	PairTie      = "TIE"       // both good, neither clearly better
	PairBothPoor = "BOTH_POOR" // neither answers well
	// PairUnparsed is a reply naming none of the four; Combine treats it as
	// BOTH_POOR so a confused judge never invents a preference.
	PairUnparsed = "UNPARSED"
)

// Outcomes of the two orderings combined, in cheap/strong terms.
const (
	OutcomeTie          = "tie"           // the cheap answer is as good as the strong one
	OutcomeStrongBetter = "strong_better" // the strong answer is clearly better
	OutcomeCheapBetter  = "cheap_better"  // the cheap answer is clearly better
	OutcomeBothPoor     = "both_poor"     // neither answer is good
)

// PairVerdict is a pairwise judge's answer for one ordering.
type PairVerdict struct {
	// Verdict is PairA, PairB, PairTie, PairBothPoor or PairUnparsed.
	Verdict string
	// Raw is the judge's reply as received.
	Raw     string
	Usage   provider.Usage
	Cost    float64
	Latency time.Duration
}

// Pairwise compares two anonymous answers to one question. It never learns
// which model wrote which: the caller sends each pair twice, once in each
// order, and Combine cancels the judge's position bias.
type Pairwise struct {
	judgeModel
}

// NewPairwise returns a pairwise judge that asks p, using model's upstream
// id and prices.
func NewPairwise(p provider.Provider, model catalog.Model) *Pairwise {
	return &Pairwise{judgeModel{p: p, model: model}}
}

// pairRubric asks for one letter so parsing is unambiguous. "Both good" is
// offered before "clearly better" is needed: a routing label only needs to
// know whether the first answer would have done.
const pairRubric = `You compare two answers to the same question. You do not know who or what wrote them, and their order means nothing; judge only their content.

Decide whether each answer is good: it answers what was asked, correctly and helpfully, without errors a careful expert would object to. Length and style do not matter.

Choose exactly one:
A) Answer A is clearly better than answer B.
B) Answer B is clearly better than answer A.
C) Both answers are good, and neither is clearly better.
D) Neither answer is good.

Question:
%s

Answer A:
%s

Answer B:
%s

Reply with a single letter, A, B, C or D, and nothing else.`

// PairPrompt is the exact text sent for one ordering: the conversation's
// earlier turns as delimited context (bounded: see BoundContext), the
// question and the two answers, nothing that could name a model. Without
// history it is the question and the answers alone.
func PairPrompt(history []Turn, question, answerA, answerB string) string {
	return fmt.Sprintf(pairRubric, withContext(history, question), answerA, answerB)
}

// Compare asks the judge about one ordering: answerA shown first. history
// holds the turns before question, oldest first; nil for a lone question.
func (j *Pairwise) Compare(ctx context.Context, history []Turn, question, answerA, answerB string) (PairVerdict, error) {
	resp, cost, err := j.ask(ctx, "pairwise judge", PairPrompt(history, question, answerA, answerB))
	if err != nil {
		return PairVerdict{}, err
	}
	return PairVerdict{
		Verdict: ParsePairVerdict(resp.Text),
		Raw:     resp.Text,
		Usage:   resp.Usage,
		Cost:    cost,
		Latency: resp.Latency,
	}, nil
}

var (
	pairLetterRE = regexp.MustCompile(`(?:^|[^A-Za-z])([ABCD])(?:$|[^A-Za-z])`)
	pairWordRE   = regexp.MustCompile(`\b(BOTH_POOR|BOTH POOR|NEITHER|TIE|BOTH GOOD)\b`)
)

// ParsePairVerdict maps a reply to a verdict: the first standalone letter
// A–D, failing that a spelled-out tie or both-poor, else PairUnparsed.
func ParsePairVerdict(reply string) string {
	s := strings.TrimSpace(reply)
	if m := pairLetterRE.FindStringSubmatch(s); m != nil {
		switch m[1] {
		case "A":
			return PairA
		case "B":
			return PairB
		case "C":
			return PairTie
		default:
			return PairBothPoor
		}
	}
	if m := pairWordRE.FindStringSubmatch(strings.ToUpper(s)); m != nil {
		if m[1] == "TIE" || m[1] == "BOTH GOOD" {
			return PairTie
		}
		return PairBothPoor
	}
	return PairUnparsed
}

// outcomeOf reads one ordering's verdict in cheap/strong terms.
func outcomeOf(verdict string, cheapFirst bool) string {
	switch verdict {
	case PairTie:
		return OutcomeTie
	case PairA, PairB:
		if (verdict == PairA) == cheapFirst {
			return OutcomeCheapBetter
		}
		return OutcomeStrongBetter
	}
	return OutcomeBothPoor // PairBothPoor and PairUnparsed
}

// Combine merges the verdicts of the two orderings (cheapFirst: A was the
// cheap answer; strongFirst: A was the strong one). When they agree, that
// is the outcome. When they disagree the pair counts as a tie, since the
// preference did not survive swapping the positions; the tie is a poor one
// (both_poor) when either ordering found both answers poor or was
// unreadable, else a good one. So a disputed pair is never labelled as a
// clear preference for either model.
func Combine(cheapFirst, strongFirst string) string {
	a, b := outcomeOf(cheapFirst, true), outcomeOf(strongFirst, false)
	switch {
	case a == b:
		return a
	case a == OutcomeBothPoor || b == OutcomeBothPoor:
		return OutcomeBothPoor
	}
	return OutcomeTie
}

// OutcomeGrades encodes an outcome as the (cheap, strong) grades the oracle
// matrix reads: tie → CORRECT/CORRECT, strong better → INCORRECT/CORRECT,
// cheap better → CORRECT/INCORRECT, both poor → INCORRECT/INCORRECT.
func OutcomeGrades(outcome string) (cheap, strong string, err error) {
	switch outcome {
	case OutcomeTie:
		return grade.Correct, grade.Correct, nil
	case OutcomeStrongBetter:
		return grade.Incorrect, grade.Correct, nil
	case OutcomeCheapBetter:
		return grade.Correct, grade.Incorrect, nil
	case OutcomeBothPoor:
		return grade.Incorrect, grade.Incorrect, nil
	}
	return "", "", fmt.Errorf("unknown pairwise outcome %q", outcome)
}

// ValidPairVerdict reports whether v is one of the parsed verdicts.
func ValidPairVerdict(v string) bool {
	switch v {
	case PairA, PairB, PairTie, PairBothPoor, PairUnparsed:
		return true
	}
	return false
}
