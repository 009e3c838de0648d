// Package features turns query text, and only query text, into numbers: the
// human-readable query characteristics recorded by the oracle stage, and the
// hashed n-gram vectors the router trains on. Nothing here may look at
// answers or grades, or the router would leak labels.
package features

import (
	"regexp"
	"strings"
	"unicode"
)

// Characteristics are cheap, interpretable properties of a query.
type Characteristics struct {
	Chars           int     `json:"chars"`
	Words           int     `json:"words"`
	Tokens          int     `json:"tokens"` // approximate: ~4 chars per token
	Lines           int     `json:"lines"`
	Digits          int     `json:"digits"`
	DigitRatio      float64 `json:"digit_ratio"`
	HasMath         bool    `json:"has_math"`
	HasCode         bool    `json:"has_code"`
	QuestionWord    string  `json:"question_word"`
	CapitalEntities int     `json:"capitalized_entities"`
	MultiPart       bool    `json:"multi_part"`
	HasChoices      bool    `json:"has_choices"`
	Questions       int     `json:"question_marks"`
}

var (
	mathRe    = regexp.MustCompile(`\d\s*[-+*/^=×÷]\s*\d|\b(solve|equation|integral|derivative|sum|product|percent|probability|calculate|compute)\b|\$[^$]+\$|\\frac|\\sqrt`)
	codeRe    = regexp.MustCompile("```|\\b(def|func|class|return|import|public static|console\\.log|printf|SELECT|#include)\\b|[a-zA-Z_]+\\([^)]*\\)\\s*[{:;]|=>|\\bcode\\b|\\bpython\\b|\\bjavascript\\b|\\bSQL\\b")
	choicesRe = regexp.MustCompile(`(?m)^\s*\(?[A-D][.)]\s+\S`)
	multiRe   = regexp.MustCompile(`(?i)\b(and also|additionally|then|first|second|finally|as well as)\b|\n\s*\d+[.)]\s`)
)

var questionWords = []string{"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "is", "are", "does", "do", "did", "can", "could", "should", "would", "will", "in", "on"}

// Analyze computes the characteristics of query.
func Analyze(query string) Characteristics {
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
	c.HasMath = mathRe.MatchString(lower)
	c.HasCode = codeRe.MatchString(query)
	c.HasChoices = choicesRe.MatchString(query)
	c.MultiPart = multiRe.MatchString(query) || strings.Count(query, "?") > 1
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
