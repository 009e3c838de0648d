package solution

import (
	"testing"
)

func TestFinalNumber(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"gsm8k marker", "9 * $2 = $<<9*2=18>>18.\n#### 18", "18", true},
		{"marker with dollar and commas", "so\n#### $1,250.50", "1250.5", true},
		{"marker trailing zeros", "#### 7.00", "7", true},
		{"negative marker", "#### -54", "-54", true},
		{"last marker wins", "#### 3\nrevised:\n#### 4", "4", true},
		{"boxed", `so the total is \boxed{42}.`, "42", true},
		{"answer is", "The answer is 3 bolts. Each bolt weighs 5 kg.", "3", true},
		{"equals in last sentence", "So he is 180 - 135 = 45 miles away from home at the end of those 4 hours.", "45", true},
		{"last computed value", "Total is $40 + $24 = $64.\n\nKylar needs to pay $64 for the 16 glasses.", "64", true},
		{"lone currency", "He has 3 bags.\nSo he pays $30 for 2 of them.", "30", true},
		{"last number fallback", "This means she needs (8 * 100) ml, which is 800 ml of water.", "800", true},
		{"decimal not sentence end", "It takes 2.5 hours.", "2.5", true},
		{"dash is not a sign", "The score was 5-3", "3", true},
		{"leading zeros", "#### 007", "7", true},
		{"negative zero", "#### -0.0", "0", true},
		{"no number", "I cannot determine the answer.", "", false},
		{"empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FinalNumber(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("FinalNumber(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzFinalNumber(f *testing.F) {
	for _, s := range []string{"#### 18", "x = $1,000.50.", `\boxed{-3}`, "the answer is 7", "a-1", "", "####"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := FinalNumber(s)
		if ok == (n == "") {
			t.Fatalf("FinalNumber(%q) = %q, %v", s, n, ok)
		}
		if ok {
			if again, ok2 := FinalNumber("#### " + n); !ok2 || again != n {
				t.Fatalf("canonical form %q not stable: %q", n, again)
			}
		}
	})
}

// FuzzStripAnnotations: the hand-written pass removes exactly what the
// regexp it replaces removes.
func FuzzStripAnnotations(f *testing.F) {
	for _, s := range []string{"9 * $2 = $<<9*2=18>>18", "<<<a>>", "<<a<<b>>", "<<a>>>", "<<>>", "a<<b", "<<a>><<b>>", "<<<<x>>>>", "<<a>b>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := stripAnnotations(s), calcAnnotation.ReplaceAllString(s, ""); got != want {
			t.Fatalf("stripAnnotations(%q) = %q, regexp gives %q", s, got, want)
		}
	})
}

// FuzzSentenceScan: the one-pass scans agree with the regexps they stand
// in for: lastNumericSentence with splitting on sentenceEnd, and
// mayStateAnswer never rules out a text answerIsRE matches.
func FuzzSentenceScan(f *testing.F) {
	for _, s := range []string{"So 3 + 4 = 7.\nThe answer is 7.", "a.b 1!  2?\n", "1.5 kg. Done", "ANSWER: 4", "The anſwer is 5", "x.\n\n9", "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := ""
		parts := sentenceEnd.Split(s, -1)
		for i := len(parts) - 1; i >= 0; i-- {
			if numberRE.MatchString(parts[i]) {
				want = parts[i]
				break
			}
		}
		if got := lastNumericSentence(s); got != want {
			t.Fatalf("lastNumericSentence(%q) = %q, regexp split gives %q", s, got, want)
		}
		if answerIsRE.MatchString(s) && !mayStateAnswer(s) {
			t.Fatalf("mayStateAnswer(%q) = false, but answerIsRE matches", s)
		}
	})
}
