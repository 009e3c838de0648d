package features

import (
	"regexp"
	"strings"
	"sync"
)

// The scanners below recognise exactly what these regular expressions
// match, with Go's semantics: \b, \d and \s are ASCII-only ([0-9A-Za-z_],
// [0-9], [\t\n\f\r ]), and a negated class also matches newlines.
//
//	math    (on lower-cased text): \d\s*[-+*/^=×÷]\s*\d
//	        | \b(solve|equation|integral|derivative|sum|product|percent|probability|calculate|compute)\b
//	        | \$[^$]+\$ | \\frac | \\sqrt
//	code:   ``` | \b(def|func|class|return|import|public static|console\.log|printf|SELECT|#include)\b
//	        | [a-zA-Z_]+\([^)]*\)\s*[{:;] | => | \b(code|python|javascript|SQL)\b
//	choices: (?m)^\s*\(?[A-D][.)]\s+\S
//	multi:  (?i)\b(and also|additionally|then|first|second|finally|as well as)\b | \n\s*\d+[.)]\s
//
// They are linear in the text and do not allocate on ASCII text.

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

// isReSpace is \s in Go regular expressions (note: no \v).
func isReSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\f' || b == '\r' }

func skipReSpace(s string, i int) int {
	for i < len(s) && isReSpace(s[i]) {
		i++
	}
	return i
}

// wordEnd returns the end of the ASCII word run starting at i.
func wordEnd(s string, i int) int {
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	return i
}

// isWordStart reports whether a word run starts at i (a \b before it).
func isWordStart(s string, i int) bool {
	return isWordByte(s[i]) && (i == 0 || !isWordByte(s[i-1]))
}

// boundaryAfter reports a \b at j after a word byte.
func boundaryAfter(s string, j int) bool { return j == len(s) || !isWordByte(s[j]) }

// foldWord lower-cases an ASCII word into buf; ok is false when it is too
// long to be any keyword.
func foldWord(buf *[16]byte, w string) (string, bool) {
	if len(w) > len(buf) {
		return "", false
	}
	for i := 0; i < len(w); i++ {
		b := w[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		buf[i] = b
	}
	return string(buf[:len(w)]), true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasMath matches the math pattern against the lower-cased query. ASCII
// text is matched case-insensitively in place instead of being copied; any
// other text is lower-cased first, since Unicode lower-casing can produce
// ASCII letters (İ → i, K → k) and change lengths.
func hasMath(q string) bool {
	s := q
	if !isASCII(q) {
		s = strings.ToLower(q)
	}
	var buf [16]byte
	lastDollar := -1
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '$':
			if lastDollar >= 0 && i-lastDollar > 1 {
				return true
			}
			lastDollar = i
		case b == '\\':
			if hasPrefixFold(s[i+1:], "frac") || hasPrefixFold(s[i+1:], "sqrt") {
				return true
			}
		case isDigitByte(b) && digitOpDigit(s, i):
			return true
		}
		if isWordStart(s, i) {
			if w, ok := foldWord(&buf, s[i:wordEnd(s, i)]); ok && isMathWord(w) {
				return true
			}
		}
	}
	return false
}

// digitOpDigit matches \d\s*[-+*/^=×÷]\s*\d with the first digit at i.
func digitOpDigit(s string, i int) bool {
	j := skipReSpace(s, i+1)
	switch {
	case j >= len(s):
		return false
	case strings.IndexByte("-+*/^=", s[j]) >= 0:
		j++
	case strings.HasPrefix(s[j:], "×") || strings.HasPrefix(s[j:], "÷"):
		j += len("×")
	default:
		return false
	}
	j = skipReSpace(s, j)
	return j < len(s) && isDigitByte(s[j])
}

func isMathWord(w string) bool {
	switch w {
	case "solve", "equation", "integral", "derivative", "sum", "product", "percent", "probability", "calculate", "compute":
		return true
	}
	return false
}

// hasCode matches the code pattern (case-sensitive).
func hasCode(s string) bool {
	if strings.Contains(s, "```") || strings.Contains(s, "=>") ||
		hasWordPhrase(s, "public static") || hasWordPhrase(s, "console.log") || hasHashInclude(s) {
		return true
	}
	pendingCall := false // a "name(" since the last ')'
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '(':
			if i > 0 && (isWordByte(s[i-1]) && !isDigitByte(s[i-1])) {
				pendingCall = true
			}
		case ')':
			// [^)]* cannot pass a ')', so every pending "name(" ends here.
			if pendingCall {
				if j := skipReSpace(s, i+1); j < len(s) && (s[j] == '{' || s[j] == ':' || s[j] == ';') {
					return true
				}
			}
			pendingCall = false
		}
		if isWordStart(s, i) && isCodeWord(s[i:wordEnd(s, i)]) {
			return true
		}
	}
	return false
}

func isCodeWord(w string) bool {
	switch w {
	case "def", "func", "class", "return", "import", "printf", "SELECT", "code", "python", "javascript", "SQL":
		return true
	}
	return false
}

// hasWordPhrase finds phrase (starting and ending with a word byte) with a
// \b on both sides.
func hasWordPhrase(s, phrase string) bool {
	for off := 0; ; {
		k := strings.Index(s[off:], phrase)
		if k < 0 {
			return false
		}
		i := off + k
		if (i == 0 || !isWordByte(s[i-1])) && boundaryAfter(s, i+len(phrase)) {
			return true
		}
		off = i + 1
	}
}

// hasHashInclude matches \b#include\b: since '#' is not a word byte, the
// boundary before it needs a word byte right before the '#'.
func hasHashInclude(s string) bool {
	for off := 0; ; {
		k := strings.Index(s[off:], "#include")
		if k < 0 {
			return false
		}
		i := off + k
		if i > 0 && isWordByte(s[i-1]) && boundaryAfter(s, i+len("#include")) {
			return true
		}
		off = i + 1
	}
}

// hasChoices matches (?m)^\s*\(?[A-D][.)]\s+\S. Line starts inside the
// whitespace skipped from an earlier line start lead to the same place,
// so each byte is visited a bounded number of times.
func hasChoices(s string) bool {
	for pos := 0; ; {
		k := skipReSpace(s, pos)
		if choiceAt(s, k) {
			return true
		}
		nl := strings.IndexByte(s[k:], '\n')
		if nl < 0 {
			return false
		}
		pos = k + nl + 1
	}
}

func choiceAt(s string, k int) bool {
	if k < len(s) && s[k] == '(' {
		k++
	}
	if k+2 >= len(s) || s[k] < 'A' || s[k] > 'D' || (s[k+1] != '.' && s[k+1] != ')') || !isReSpace(s[k+2]) {
		return false
	}
	return skipReSpace(s, k+2) < len(s)
}

// hasMultiPart matches the multi-part pattern. Under (?i), 's' also
// matches the long s 'ſ' (U+017F), which breaks ASCII word runs; the rare
// text containing it is left to the regular expression.
func hasMultiPart(s string) bool {
	if strings.Contains(s, "ſ") {
		return multiFoldRe().MatchString(s)
	}
	var buf [16]byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			// Newlines in the whitespace skipped here lead to the same k.
			k := skipReSpace(s, i+1)
			if numberedItemAt(s, k) {
				return true
			}
			i = k - 1
			continue
		}
		if !isWordStart(s, i) {
			continue
		}
		j := wordEnd(s, i)
		w, ok := foldWord(&buf, s[i:j])
		if !ok {
			continue
		}
		switch w {
		case "additionally", "then", "first", "second", "finally":
			return true
		case "and":
			if hasPrefixFold(s[j:], " also") && boundaryAfter(s, j+len(" also")) {
				return true
			}
		case "as":
			if hasPrefixFold(s[j:], " well as") && boundaryAfter(s, j+len(" well as")) {
				return true
			}
		}
	}
	return false
}

// numberedItemAt matches \d+[.)]\s at k.
func numberedItemAt(s string, k int) bool {
	j := k
	for j < len(s) && isDigitByte(s[j]) {
		j++
	}
	return j > k && j+1 < len(s) && (s[j] == '.' || s[j] == ')') && isReSpace(s[j+1])
}

var multiFoldRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(and also|additionally|then|first|second|finally|as well as)\b|\n\s*\d+[.)]\s`)
})
