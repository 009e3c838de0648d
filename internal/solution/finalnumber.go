// Package solution reads the final answer out of a model's worked solution.
package solution

import (
	"regexp"
	"strings"
)

var (
	// calcAnnotation strips GSM8K calculator markup "<<9*2=18>>" so the
	// expression inside is not mistaken for the result.
	calcAnnotation = regexp.MustCompile(`<<[^<>]*>>`)
	// numberRE matches a signed decimal number with optional thousands
	// separators; a leading currency sign is tolerated by the caller.
	numberRE   = regexp.MustCompile(`-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?`)
	boxedRE    = regexp.MustCompile(`\\boxed\{([^{}]*)\}`)
	answerIsRE = regexp.MustCompile(`(?i)(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*`)
	// sentenceEnd splits on a full stop, question mark or exclamation mark
	// that is not a decimal point (a period between digits).
	sentenceEnd = regexp.MustCompile(`[.!?](?:\s|$)|\n`)
)

// FinalNumber extracts the final numeric answer from a worked solution, in
// canonical form ("1,000.50" → "1000.5", "$18" → "18"). Responses in GSM8K
// style end with "#### N"; others state the result in prose, so the
// extractor falls back, in order, to \boxed{N}, "the answer is N", the value
// after the last "=" of the last sentence that has a number, and finally the
// first number of that sentence (the result usually precedes any
// qualification such as "for the 16 glasses").
func FinalNumber(text string) (string, bool) {
	text = stripAnnotations(text)
	if i := strings.LastIndex(text, "####"); i >= 0 {
		if n, ok := firstNumber(text[i+4:]); ok {
			return n, true
		}
	}
	if m := boxedRE.FindAllStringSubmatch(text, -1); len(m) > 0 {
		if n, ok := firstNumber(m[len(m)-1][1]); ok {
			return n, true
		}
	}
	if mayStateAnswer(text) {
		if locs := answerIsRE.FindAllStringIndex(text, -1); len(locs) > 0 {
			rest := text[locs[len(locs)-1][1]:]
			if n, ok := firstNumber(leadingClause(rest)); ok {
				return n, true
			}
		}
	}
	return proseResult(text)
}

// proseResult picks the result stated by the last sentence that has a
// number: the value after its last "=", else the number that is also the
// last computed value ("... = 15") of the whole text, else a lone
// currency amount, else its last number.
func proseResult(text string) (string, bool) {
	sent := lastNumericSentence(text)
	if sent == "" {
		return "", false
	}
	if i := strings.LastIndex(sent, "="); i >= 0 {
		if n, ok := firstNumber(sent[i+1:]); ok {
			return n, true
		}
	}
	cands := allNumbers(sent)
	if i := strings.LastIndex(text, "="); i >= 0 {
		if last, ok := firstNumber(text[i+1:]); ok {
			for _, c := range cands {
				if c.value == last {
					return last, true
				}
			}
		}
	}
	var money []string
	for _, c := range cands {
		if c.currency {
			money = append(money, c.value)
		}
	}
	if len(money) == 1 {
		return money[0], true
	}
	return cands[len(cands)-1].value, true
}

// stripAnnotations removes every "<<...>>" without '<' or '>' inside,
// exactly as calcAnnotation.ReplaceAllString(text, "") does, in one pass
// without the regexp engine: the cascade verifier calls FinalNumber on
// every answer it reads, and the regexp was a third of its time.
func stripAnnotations(text string) string {
	i := strings.Index(text, "<<")
	if i < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for i >= 0 {
		j := i + 2
		for j < len(text) && text[j] != '<' && text[j] != '>' {
			j++
		}
		if strings.HasPrefix(text[j:], ">>") {
			b.WriteString(text[:i])
			text = text[j+2:]
		} else {
			// No match starts at i; the leftmost match, if any, starts
			// after it.
			b.WriteString(text[:i+1])
			text = text[i+1:]
		}
		i = strings.Index(text, "<<")
	}
	b.WriteString(text)
	return b.String()
}

type numberMatch struct {
	value    string
	currency bool
}

func allNumbers(s string) []numberMatch {
	var out []numberMatch
	for _, loc := range numberRE.FindAllStringIndex(s, -1) {
		cur := loc[0] > 0 && s[loc[0]-1] == '$'
		out = append(out, numberMatch{value: numberAt(s, loc), currency: cur})
	}
	return out
}

// leadingClause keeps text up to the end of its first sentence, so "the
// answer is" does not pick a number from a later, unrelated sentence.
func leadingClause(s string) string {
	if loc := sentenceEnd.FindStringIndex(s); loc != nil {
		return s[:loc[0]]
	}
	return s
}

// lastNumericSentence is the last part of sentenceEnd.Split(text, -1) that
// holds a digit (what numberRE needs), found in one pass without the
// regexp engine: the cascade verifier reads every answer through here.
func lastNumericSentence(text string) string {
	last, start, digit := "", 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		end := -1 // where the separator starting at i ends
		switch {
		case c == '\n':
			end = i + 1
		case c == '.' || c == '!' || c == '?':
			if i+1 == len(text) {
				end = i + 1
			} else if n := text[i+1]; n == ' ' || n == '\t' || n == '\n' || n == '\f' || n == '\r' {
				end = i + 2
			}
		}
		if end < 0 {
			digit = digit || c >= '0' && c <= '9'
			continue
		}
		if digit {
			last = text[start:i]
		}
		start, digit = end, false
		i = end - 1
	}
	if digit {
		last = text[start:]
	}
	return last
}

// mayStateAnswer is a cheap necessary condition for answerIsRE: every
// alternative contains "answer", matched case-insensitively, where the
// only non-ASCII letter that folds into it is the long s (ſ).
func mayStateAnswer(text string) bool {
	for i := 0; i+6 <= len(text); i++ {
		if (text[i]|0x20) == 'a' && strings.EqualFold(text[i:i+6], "answer") {
			return true
		}
	}
	return strings.ContainsRune(text, 'ſ')
}

func firstNumber(s string) (string, bool) {
	loc := numberRE.FindStringIndex(s)
	if loc == nil {
		return "", false
	}
	return numberAt(s, loc), true
}

// numberAt canonicalises the match at loc. A hyphen glued to a preceding
// word or digit ("5-3", "x-2") is a dash, not a sign.
func numberAt(s string, loc []int) string {
	m := s[loc[0]:loc[1]]
	if m[0] == '-' && loc[0] > 0 && isWordByte(s[loc[0]-1]) {
		m = m[1:]
	}
	return canonicalNumber(m)
}

func isWordByte(b byte) bool {
	return b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// canonicalNumber drops thousands separators, trailing decimal zeros and a
// negative zero so equal values compare equal as strings.
func canonicalNumber(s string) string {
	s = strings.ReplaceAll(s, ",", "")
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if t := strings.TrimLeft(s, "0"); t != s {
		if t == "" || t[0] == '.' {
			t = "0" + t
		}
		s = t
	}
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}
