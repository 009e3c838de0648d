package judge

import (
	"context"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

func TestParsePairVerdict(t *testing.T) {
	for _, tc := range []struct{ reply, want string }{
		{"A", PairA},
		{" B\n", PairB},
		{"(C)", PairTie},
		{"D.", PairBothPoor},
		{"Verdict: B", PairB},
		{"Answer A is better", PairA},
		{"TIE", PairTie},
		{"both good", PairTie},
		{"Neither", PairBothPoor},
		{"both_poor", PairBothPoor},
		{"", PairUnparsed},
		{"I cannot decide", PairUnparsed},
		{"E", PairUnparsed},
	} {
		if got := ParsePairVerdict(tc.reply); got != tc.want {
			t.Errorf("ParsePairVerdict(%q) = %q, want %q", tc.reply, got, tc.want)
		}
	}
}

// The verdicts of the two orders, in each order's own A/B terms: A in the
// cheap-first order is the cheap answer, A in the strong-first order the
// strong one.
func TestCombine(t *testing.T) {
	for _, tc := range []struct{ cheapFirst, strongFirst, want string }{
		// Agreement.
		{PairB, PairA, OutcomeStrongBetter},
		{PairA, PairB, OutcomeCheapBetter},
		{PairTie, PairTie, OutcomeTie},
		{PairBothPoor, PairBothPoor, OutcomeBothPoor},
		// Position bias: the judge always picks the first (or the second)
		// answer, so the preference does not survive the swap: a tie.
		{PairA, PairA, OutcomeTie},
		{PairB, PairB, OutcomeTie},
		// One order prefers, the other calls it a tie: a tie.
		{PairB, PairTie, OutcomeTie},
		{PairTie, PairB, OutcomeTie},
		// Any disagreement involving "both poor" is a poor tie.
		{PairBothPoor, PairA, OutcomeBothPoor},
		{PairB, PairBothPoor, OutcomeBothPoor},
		{PairTie, PairBothPoor, OutcomeBothPoor},
		// An unreadable reply never creates a preference.
		{PairUnparsed, PairA, OutcomeBothPoor},
		{PairTie, PairUnparsed, OutcomeBothPoor},
		{PairUnparsed, PairUnparsed, OutcomeBothPoor},
	} {
		if got := Combine(tc.cheapFirst, tc.strongFirst); got != tc.want {
			t.Errorf("Combine(%s, %s) = %s, want %s", tc.cheapFirst, tc.strongFirst, got, tc.want)
		}
	}
}

// Swapping which order is which mirrors the outcome: Combine is symmetric
// under exchanging the models.
func TestCombineSymmetry(t *testing.T) {
	mirror := map[string]string{OutcomeCheapBetter: OutcomeStrongBetter, OutcomeStrongBetter: OutcomeCheapBetter,
		OutcomeTie: OutcomeTie, OutcomeBothPoor: OutcomeBothPoor}
	all := []string{PairA, PairB, PairTie, PairBothPoor, PairUnparsed}
	for _, a := range all {
		for _, b := range all {
			// Exchanging the models turns (a, b) into (b, a).
			if got, want := Combine(b, a), mirror[Combine(a, b)]; got != want {
				t.Errorf("Combine(%s, %s) = %s, want the mirror of Combine(%s, %s) = %s", b, a, got, a, b, want)
			}
		}
	}
}

func TestOutcomeGrades(t *testing.T) {
	for outcome, want := range map[string]string{
		OutcomeTie:          "CORRECT/CORRECT",
		OutcomeStrongBetter: "INCORRECT/CORRECT",
		OutcomeCheapBetter:  "CORRECT/INCORRECT",
		OutcomeBothPoor:     "INCORRECT/INCORRECT",
	} {
		c, s, err := OutcomeGrades(outcome)
		if err != nil || grade.Cell(c, s) != want {
			t.Errorf("OutcomeGrades(%s) = %s/%s, %v; want %s", outcome, c, s, err, want)
		}
	}
	if _, _, err := OutcomeGrades("maybe"); err == nil {
		t.Error("an unknown outcome was accepted")
	}
}

// The judge sees the question and two answers, in the order given, and
// nothing that names a model; its verdict, tokens and cost are reported.
func TestPairwiseIsBlind(t *testing.T) {
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	jm, err := cat.Lookup("gemini-2.5-pro")
	if err != nil {
		t.Fatal(err)
	}
	fp := &fakeProvider{complete: reply("B")}
	j := NewPairwise(fp, jm)
	v, err := j.Compare(context.Background(), nil, "What is the capital of France?", "Paris, I think.", "The capital is Paris.")
	if err != nil {
		t.Fatal(err)
	}
	if v.Verdict != PairB || v.Raw != "B" || v.Usage.InputTokens != 1000 {
		t.Fatalf("verdict %+v", v)
	}
	if want := jm.Price.Cost(1000, 100); v.Cost != want {
		t.Fatalf("cost %v, want %v (thinking billed as output)", v.Cost, want)
	}
	if len(fp.requests) != 1 {
		t.Fatalf("%d requests", len(fp.requests))
	}
	req := fp.requests[0]
	prompt := req.Messages[0].Content
	if req.Temperature == nil || *req.Temperature != 0 || req.Model != jm.UpstreamModel {
		t.Fatalf("request %+v", req)
	}
	a, b := strings.Index(prompt, "Answer A:\nParis, I think."), strings.Index(prompt, "Answer B:\nThe capital is Paris.")
	if a < 0 || b < a {
		t.Fatalf("answers not in the given order:\n%s", prompt)
	}
	for name, m := range cat.Models {
		for _, s := range []string{name, m.UpstreamModel, m.Provider} {
			if s != "" && strings.Contains(strings.ToLower(prompt), strings.ToLower(s)) {
				t.Errorf("judge prompt names %q", s)
			}
		}
	}
	for _, w := range []string{"cheap", "strong", "gemini", "gpt", "flash", "pro "} {
		if strings.Contains(strings.ToLower(prompt), w) {
			t.Errorf("judge prompt contains %q", w)
		}
	}
}

func TestReferenceGradesAgainstTheStrongAnswer(t *testing.T) {
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	jm, _ := cat.Lookup("gemini-2.5-pro")
	fp := &fakeProvider{complete: reply("B")}
	r := NewReference(NewLLM(fp, jm))
	v, err := r.Grade(context.Background(), nil, "Who wrote Hamlet?", "William Shakespeare wrote it around 1600.", "Marlowe.")
	if err != nil {
		t.Fatal(err)
	}
	if v.Grade != grade.Incorrect || v.Method != MethodReference {
		t.Fatalf("verdict %+v", v)
	}
	prompt := fp.requests[0].Messages[0].Content
	if !strings.Contains(prompt, "Gold target:\nWilliam Shakespeare wrote it around 1600.") || !strings.Contains(prompt, "Answer to grade:\nMarlowe.") {
		t.Fatalf("prompt:\n%s", prompt)
	}
	if rv := ReferenceVerdict(); rv.Grade != grade.Correct || rv.Decided() == false || rv.Cost != 0 {
		t.Fatalf("reference verdict %+v", rv)
	}
}

var _ provider.Provider = (*fakeProvider)(nil)

func FuzzParsePairVerdict(f *testing.F) {
	for _, s := range []string{"A", "(B)", "C.", "D", "tie", "neither", "", "\x00AB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := ParsePairVerdict(s)
		if !ValidPairVerdict(v) {
			t.Fatalf("ParsePairVerdict(%q) = %q", s, v)
		}
		if _, _, err := OutcomeGrades(Combine(v, v)); err != nil {
			t.Fatalf("Combine(%q, %q): %v", v, v, err)
		}
	})
}
