// Package grade is the grading vocabulary every stage shares: the three
// grades (SimpleQA's rubric), the "<cheap>/<strong>" cell a pair of grades
// makes, and the answer text that stands in for a recorded outcome where no
// answer text was recorded. It imports nothing of the project, so the
// router and the gateway read grades without linking the oracle, the judges
// or the providers.
package grade

import "strings"

// The grades a judge can return.
const (
	Correct      = "CORRECT"
	Incorrect    = "INCORRECT"
	NotAttempted = "NOT_ATTEMPTED"
)

// All lists the grades in oracle-matrix order.
var All = []string{Correct, Incorrect, NotAttempted}

// Valid reports whether g is one of the three grades.
func Valid(g string) bool {
	return g == Correct || g == Incorrect || g == NotAttempted
}

// Cell names a pair of grades the way oracle rows and training files record
// it: "<cheap>/<strong>".
func Cell(cheap, strong string) string { return cheap + "/" + strong }

// SplitCell returns the two grades of a cell, and false unless the cell is
// two valid grades joined by "/".
func SplitCell(cell string) (cheap, strong string, ok bool) {
	cheap, strong, ok = strings.Cut(cell, "/")
	if !ok || !Valid(cheap) || !Valid(strong) {
		return "", "", false
	}
	return cheap, strong, true
}

// OutcomePrefix starts the answer that stands in for a recorded outcome
// where no response text was recorded (MMLU): "(recorded outcome) CORRECT".
// The replay provider serves these answers and the rule judge grades them;
// any stage that wants real answer texts must recognise and skip them.
const OutcomePrefix = "(recorded outcome) "

// RecordedOutcome is the stand-in answer for a recorded outcome.
func RecordedOutcome(correct bool) string {
	if correct {
		return OutcomePrefix + Correct
	}
	return OutcomePrefix + Incorrect
}

// ParseRecordedOutcome returns the grade a stand-in answer carries, and
// false when answer is not one (e.g. a real recorded GSM8K response).
func ParseRecordedOutcome(answer string) (string, bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(answer), OutcomePrefix)
	if !found {
		return "", false
	}
	switch g := strings.TrimSpace(rest); g {
	case Correct, Incorrect:
		return g, true
	}
	return "", false
}
