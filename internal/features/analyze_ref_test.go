package features

import (
	"regexp"
	"strings"
	"unicode"
)

// analyzeRegexp is the original regular-expression implementation of
// Analyze, kept verbatim as the reference the hand-written scanners must
// agree with on every input (TestAnalyzeMatchesReference, FuzzAnalyze).
func analyzeRegexp(query string) Characteristics {
	c := Characteristics{Chars: len(query)}
	fields := strings.Fields(query)
	c.Words = len(fields)
	c.Tokens = (len(query) + 3) / 4
	c.Lines = strings.Count(query, "\n") + 1
	for _, r := range query {
		if unicode.IsDigit(r) {
			c.Digits++
		}
	}
	if c.Chars > 0 {
		c.DigitRatio = float64(c.Digits) / float64(c.Chars)
	}
	lower := strings.ToLower(query)
	c.HasMath = refMathRe.MatchString(lower)
	c.HasCode = refCodeRe.MatchString(query)
	c.HasChoices = refChoicesRe.MatchString(query)
	c.MultiPart = refMultiRe.MatchString(query) || strings.Count(query, "?") > 1
	c.Questions = strings.Count(query, "?")
	c.QuestionWord = "other"
	if len(fields) > 0 {
		first := strings.ToLower(strings.Trim(fields[0], `"'(`))
		for _, w := range questionWords {
			if first == w || strings.HasPrefix(first, w+"'") {
				c.QuestionWord = w
				break
			}
		}
	}
	for i, f := range fields {
		r := []rune(f)
		if i > 0 && len(r) > 1 && unicode.IsUpper(r[0]) {
			c.CapitalEntities++
		}
	}
	return c
}

var (
	refMathRe    = regexp.MustCompile(`\d\s*[-+*/^=×÷]\s*\d|\b(solve|equation|integral|derivative|sum|product|percent|probability|calculate|compute)\b|\$[^$]+\$|\\frac|\\sqrt`)
	refCodeRe    = regexp.MustCompile("```|\\b(def|func|class|return|import|public static|console\\.log|printf|SELECT|#include)\\b|[a-zA-Z_]+\\([^)]*\\)\\s*[{:;]|=>|\\bcode\\b|\\bpython\\b|\\bjavascript\\b|\\bSQL\\b")
	refChoicesRe = regexp.MustCompile(`(?m)^\s*\(?[A-D][.)]\s+\S`)
	refMultiRe   = regexp.MustCompile(`(?i)\b(and also|additionally|then|first|second|finally|as well as)\b|\n\s*\d+[.)]\s`)
)
