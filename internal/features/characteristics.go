// Package features turns query text, and only query text, into numbers: the
// human-readable query characteristics recorded by the oracle stage, and the
// hashed n-gram vectors the router trains on. Nothing here may look at
// answers or grades, or the router would leak labels.
package features

import (
	"strings"
	"unicode"
	"unicode/utf8"
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

var questionWords = []string{"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "is", "are", "does", "do", "did", "can", "could", "should", "would", "will", "in", "on"}

// Analyze computes the characteristics of query. The oracle calls it once
// per row, so it is written as single passes over the bytes rather than
// regular expressions (which cost ~400 µs on a 100-word query); the
// patterns it recognises are documented on hasMath, hasCode, hasChoices and
// hasMultiPart, and analyze_ref_test.go keeps the regular expressions they
// are equivalent to.
func Analyze(query string) Characteristics {
	c := Characteristics{Chars: len(query)}
	c.Tokens = (len(query) + 3) / 4
	c.Lines = strings.Count(query, "\n") + 1
	c.Questions = strings.Count(query, "?")
	for i := 0; i < len(query); {
		b := query[i]
		if b < utf8.RuneSelf {
			if b >= '0' && b <= '9' {
				c.Digits++
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(query[i:])
		if unicode.IsDigit(r) {
			c.Digits++
		}
		i += w
	}
	if c.Chars > 0 {
		c.DigitRatio = float64(c.Digits) / float64(c.Chars)
	}
	c.HasMath = hasMath(query)
	c.HasCode = hasCode(query)
	c.HasChoices = hasChoices(query)
	c.MultiPart = c.Questions > 1 || hasMultiPart(query)
	c.QuestionWord = "other"
	eachField(query, func(f string) {
		c.Words++
		if c.Words == 1 {
			c.QuestionWord = questionWord(f)
			return
		}
		// A capitalised word of more than one rune (invalid bytes count
		// as one rune each, as in []rune conversion).
		r, w := utf8.DecodeRuneInString(f)
		if len(f) > w && unicode.IsUpper(r) {
			c.CapitalEntities++
		}
	})
	return c
}

// eachField calls fn on each field of s as strings.Fields splits it
// (unicode.IsSpace separators), without building the slice.
func eachField(s string, fn func(string)) {
	start := -1
	for i := 0; i < len(s); {
		var space bool
		w := 1
		if b := s[i]; b < utf8.RuneSelf {
			space = asciiSpace[b]
		} else {
			var r rune
			r, w = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if start >= 0 {
				fn(s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += w
	}
	if start >= 0 {
		fn(s[start:])
	}
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func questionWord(field string) string {
	first := strings.ToLower(strings.Trim(field, `"'(`))
	for _, w := range questionWords {
		if first == w || (strings.HasPrefix(first, w) && len(first) > len(w) && first[len(w)] == '\'') {
			return w
		}
	}
	return "other"
}
