package policy

import (
	"strings"
	"unicode/utf8"
)

// The keyword and math rules run on every gateway request, so they scan
// each query once, byte by byte, instead of running one regexp per keyword
// (measured: ~3 ms per default regexp on a 64 KiB prompt, against a
// ~100 µs budget for the whole gateway).

// maxScan bounds the text the rules inspect: the first and last half of it.
// Intent ("write Python code…", "solve…") sits at the start or end of a
// prompt; the middle of a huge one is pasted material. The length rule
// still sees the whole prompt through Input.PromptTokens.
const maxScan = 16 << 10

// clip returns q, or its first and last maxScan/2 bytes joined by a newline
// (cut on rune boundaries).
func clip(q string) string {
	if len(q) <= maxScan {
		return q
	}
	head := maxScan / 2
	for head > 0 && !utf8.RuneStart(q[head]) {
		head--
	}
	tail := len(q) - maxScan/2
	for tail < len(q) && !utf8.RuneStart(q[tail]) {
		tail++
	}
	return q[:head] + "\n" + q[tail:]
}

// text is a query prepared once per Map for the scanning rules.
type text struct {
	q, lower string // clipped; lower-cased ASCII
}

func newText(q string) *text {
	c := clip(q)
	return &text{q: c, lower: lowerASCII(c)}
}

// lowerASCII lower-cases ASCII letters only, so byte offsets stay those of
// the input (strings.ToLower may change a string's length).
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// wordSet finds whole-word occurrences of a list of keywords in one pass.
// A keyword matches when it starts and ends on a word boundary; keywords may
// span several words or end in symbols ("step by step", "c++").
type wordSet struct {
	byFirst map[string][]int // first word → indexes into words
	odd     []int            // keywords that start with a non-word byte
	words   []string
	// A word is looked up only if its first byte and length could match:
	// most prose words fail this test, which is far cheaper than hashing.
	firstByte [256]bool
	maxLen    int
}

func newWordSet(words []string) wordSet {
	ws := wordSet{byFirst: map[string][]int{}, words: words}
	for i, w := range words {
		end := 0
		for end < len(w) && isWordByte(w[end]) {
			end++
		}
		if end == 0 {
			ws.odd = append(ws.odd, i)
			continue
		}
		ws.byFirst[w[:end]] = append(ws.byFirst[w[:end]], i)
		ws.firstByte[w[0]] = true
		ws.maxLen = max(ws.maxLen, end)
	}
	return ws
}

// first returns the lowest keyword index found in lower (already
// lower-cased), or -1.
func (ws wordSet) first(lower string) int {
	best := -1
	better := func(i int) bool { return best < 0 || i < best }
	for _, i := range ws.odd {
		if better(i) && containsWord(lower, ws.words[i]) {
			best = i
		}
	}
	for pos := 0; pos < len(lower); {
		if !isWordByte(lower[pos]) {
			pos++
			continue
		}
		end := pos
		for end < len(lower) && isWordByte(lower[end]) {
			end++
		}
		if !ws.firstByte[lower[pos]] || end-pos > ws.maxLen {
			pos = end
			continue
		}
		for _, i := range ws.byFirst[lower[pos:end]] {
			w := ws.words[i]
			if better(i) && strings.HasPrefix(lower[pos:], w) && !isWordByteAt(lower, pos+len(w)) {
				best = i
			}
		}
		if best == 0 {
			return 0
		}
		pos = end
	}
	return best
}

// mathSymbols are single characters that only appear in math.
const mathSymbols = "∫∑∏√∂∞≤≥≠±∈∀∃"

// findMath scans lower for math: a math symbol, or an expression such as
// "12 * 7", "2^10", "x**2", "3x + 5", "y = -3", "5 < 7". A bare hyphen or
// slash between numbers ("1990-1995", "9/11", "24/7") is a range or a
// date, so those count only with spaces on both sides or after a term
// like "3x". It returns the matched text.
func findMath(lower string) (string, bool) {
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(lower[i:])
			if strings.ContainsRune(mathSymbols, r) {
				return "symbol " + string(r), true
			}
			if r == '×' || r == '÷' {
				if s, ok := expr(lower, i, size, "+"); ok {
					return s, true
				}
			}
			i += size - 1
			continue
		}
		switch c {
		case '+', '*', '^', '-', '/', '=', '<', '>':
			size := 1
			if (c == '*' && i+1 < len(lower) && lower[i+1] == '*') || ((c == '<' || c == '>') && i+1 < len(lower) && lower[i+1] == '=') {
				size = 2
			}
			if s, ok := expr(lower, i, size, string(c)); ok {
				return s, true
			}
			i += size - 1
		}
	}
	return "", false
}

// term classifies the word that ends just before (or starts just after) an
// operator: a number ("12"), a variable ("x") or a coefficient term ("3x").
type term int

const (
	noTerm term = iota
	number
	variable
	coefTerm
)

func classify(w string) term {
	if w == "" {
		return noTerm
	}
	digits := 0
	for digits < len(w) && w[digits] >= '0' && w[digits] <= '9' {
		digits++
	}
	switch {
	case digits == len(w):
		return number
	case len(w) == 1 && w[0] >= 'a' && w[0] <= 'z':
		return variable
	case digits > 0 && digits == len(w)-1 && w[digits] >= 'a' && w[digits] <= 'z':
		return coefTerm
	}
	return noTerm
}

// expr decides whether the operator at lower[i:i+size] (class op: one of
// + * ^ - / = < >) joins two math terms, and returns the expression text.
func expr(lower string, i, size int, op string) (string, bool) {
	l := i
	for l > 0 && lower[l-1] == ' ' {
		l--
	}
	spaceBefore := l < i
	ls := l
	for ls > 0 && isWordByte(lower[ls-1]) {
		ls--
	}
	r := i + size
	for r < len(lower) && lower[r] == ' ' {
		r++
	}
	spaceAfter := r > i+size
	if r < len(lower) && (lower[r] == '(' && (op == "+" || op == "*") || lower[r] == '-' && op == "=") {
		r++
	}
	if r >= len(lower) || lower[r] < '0' || lower[r] > '9' {
		return "", false
	}
	re := r
	for re < len(lower) && isWordByte(lower[re]) {
		re++
	}
	left := classify(lower[ls:l])
	ok := false
	switch op {
	case "+", "*", "^":
		ok = left != noTerm
	case "-", "/":
		ok = left == coefTerm && op == "-" || (left == number || left == coefTerm) && spaceBefore && spaceAfter
	case "=":
		ok = left != noTerm
	case "<", ">":
		ok = left == number || left == coefTerm || left == variable
	}
	if !ok {
		return "", false
	}
	return "expression " + lower[ls:re], true
}
