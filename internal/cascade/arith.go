package cascade

import (
	"math"
	"strconv"
	"strings"
)

// Arithmetic counts the equations an answer shows and how many do not hold.
type Arithmetic struct {
	Equations int
	Wrong     int
	// LastWrong reports whether the last checked equation fails: a slip
	// at the end decides the final answer more often than one early on.
	LastWrong bool
	// LastValue is the right-hand side of the last checked equation.
	LastValue float64
}

// CheckArithmetic recomputes every "expression = number" the text shows,
// such as "16 - 3 = 13", "9 * $2 = $18" or GSM8K's "<<9*2=18>>". Only
// equations whose left side has an operator and parses as plain arithmetic
// count; prose between numbers ("5 apples = 10") is left alone, so a text
// with no checkable arithmetic reports none rather than guessing.
func CheckArithmetic(text string) Arithmetic {
	var a Arithmetic
	// Markdown escapes the multiplication sign ("64 \* 0.8").
	if strings.Contains(text, `\*`) {
		text = strings.ReplaceAll(text, `\*`, "*")
	}
	prevEq := -1
	for i := 0; i < len(text); i++ {
		if text[i] != '=' {
			continue
		}
		start := exprStart(text, i, prevEq)
		prevEq = i
		left, ok := evalLoose(text[start:i])
		if !ok {
			continue
		}
		rv, ok := rightValues(text[i+1:])
		if !ok {
			continue
		}
		a.Equations++
		a.LastValue = rv.first
		holds := close(left, rv.first) || close(left, rv.whole) || rv.percent && close(left, rv.first/100)
		a.LastWrong = !holds
		if !holds {
			a.Wrong++
		}
	}
	return a
}

// exprStart walks left from the '=' at i over characters that can belong to
// an arithmetic expression, stopping at the previous '=' of a chain.
func exprStart(s string, i, prevEq int) int {
	j := i
	for j > prevEq+1 && j > 0 && i-j < maxExprBytes && isExprByte(s, j-1) {
		j--
	}
	return j
}

// maxExprBytes bounds one side of an equation. Real ones are short, and the
// bound keeps a hostile answer ("1+1+…+1 1 = 2" over megabytes) linear.
const maxExprBytes = 256

func isExprByte(s string, k int) bool {
	switch c := s[k]; {
	case c >= '0' && c <= '9', c == ' ', c == '.', c == ',', c == '+', c == '-', c == '*', c == '/',
		c == '(', c == ')', c == '$', c == '%', c == '^':
		return true
	case c == 'x' || c == 'X':
		return isTimesX(s, k)
	case c >= 0x80:
		// × (C3 97), ÷ (C3 B7), · (C2 B7), − (E2 88 92): multi-byte.
		return true
	}
	return false
}

// isTimesX reports whether an 'x' at k is a multiplication sign: it stands
// alone between a number and a number ("3 x 4", "3x4").
func isTimesX(s string, k int) bool {
	l, r := k-1, k+1
	for l >= 0 && s[l] == ' ' {
		l--
	}
	for r < len(s) && s[r] == ' ' {
		r++
	}
	return l >= 0 && r < len(s) && (isDigit(s[l]) || s[l] == ')') && (isDigit(s[r]) || s[r] == '$' || s[r] == '(')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// rightValues reads what follows an '=': the first number, and the value
// of the whole expression up to the next '=' or non-arithmetic text. Both
// are kept because chains are written two ways: "2 + 1/2 = 5/2 = 2.5" and
// "16 - 3 = 13 - 4 = 9".
type rhs struct {
	first, whole float64
	percent      bool // the first number is followed by "%"
}

func rightValues(s string) (rhs, bool) {
	end := 0
	for end < len(s) && end < maxExprBytes && s[end] != '=' && isExprByte(s, end) {
		end++
	}
	seg := s[:end]
	t := strings.TrimLeft(seg, " $")
	n := 0
	for n < len(t) && (isDigit(t[n]) || t[n] == '.' || t[n] == ',' || (n == 0 && t[n] == '-')) {
		n++
	}
	num := strings.TrimRight(t[:n], ".,")
	if num == "" || num == "-" {
		return rhs{}, false
	}
	neg := strings.HasPrefix(num, "-")
	first, ok := parseDecimal(strings.TrimPrefix(num, "-"))
	if !ok {
		return rhs{}, false
	}
	if neg {
		first = -first
	}
	r := rhs{first: first, whole: first, percent: strings.HasPrefix(t[n:], "%")}
	if w, ok := evalExpr(seg); ok {
		r.whole = w
	}
	return r, true
}

// close compares a computed value with a written one, allowing for the
// rounding the written one shows ("1/3 = 0.33") and a 0.1% relative slack.
func close(computed, written float64) bool {
	d := math.Abs(computed - written)
	if d <= 1e-9 || d <= 1e-3*math.Abs(written) {
		return true
	}
	// Rounded to the written decimals: 0.5 ulp of the last written digit.
	s := strconv.FormatFloat(written, 'f', -1, 64)
	dec := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		dec = len(s) - i - 1
	}
	return d <= 0.5*math.Pow10(-dec)+1e-9 && dec > 0
}

// evalLoose evaluates the longest suffix of s that is an expression with at
// least one operator: the walk left from '=' may have picked up a number of
// the preceding sentence ("has 3, so 4 + 5 = 9").
func evalLoose(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	// A left side that opens with a binary operator lost its first operand
	// to prose ("8 units/floor * 3/4 = 6"): nothing to check.
	if s != "" && strings.IndexByte("*/+^xX", s[0]) >= 0 || strings.HasPrefix(s, "×") || strings.HasPrefix(s, "÷") {
		return 0, false
	}
	for len(s) > 0 {
		if v, ops, ok := evalCount(s); ok && ops > 0 {
			return v, true
		}
		// Drop the first token and retry.
		k := strings.IndexAny(s, " ,")
		if k < 0 {
			return 0, false
		}
		s = strings.TrimLeft(s[k:], " ,")
	}
	return 0, false
}

// evalExpr parses and evaluates s completely, or reports false.
func evalExpr(s string) (float64, bool) {
	v, _, ok := evalCount(s)
	return v, ok
}

// evalCount is evalExpr that also counts the operators it read, so a
// caller can tell "4 + 5" from a bare "9" without scanning again.
func evalCount(s string) (float64, int, bool) {
	p := parser{s: s}
	v, ok := p.sum()
	if !ok {
		return 0, 0, false
	}
	p.space()
	if p.i != len(p.s) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, 0, false
	}
	return v, p.ops, true
}

// parser is a recursive-descent evaluator for + - * / ^ × ÷ ·, parentheses,
// unary minus, "$" before and "%" after a number, and thousands commas.
type parser struct {
	s     string
	i     int
	depth int
	ops   int // binary operators and percent signs consumed
}

func (p *parser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// op consumes one of the operators in ops (ASCII or their Unicode forms).
func (p *parser) op(ascii string) (byte, bool) {
	p.space()
	if p.i >= len(p.s) {
		return 0, false
	}
	c, n := p.s[p.i], 1
	if c >= 0x80 {
		c, n = unicodeOp(p.s[p.i:])
	}
	if c == 'x' || c == 'X' {
		c = '*'
	}
	if c == 0 || strings.IndexByte(ascii, c) < 0 {
		return 0, false
	}
	p.i += n
	p.ops++
	return c, true
}

// unicodeOp maps ×, ·, ÷ and − at the start of s to their ASCII operator
// and byte length, or 0.
func unicodeOp(s string) (byte, int) {
	for _, u := range [...]struct {
		text string
		op   byte
	}{{"×", '*'}, {"·", '*'}, {"÷", '/'}, {"−", '-'}} {
		if strings.HasPrefix(s, u.text) {
			return u.op, len(u.text)
		}
	}
	return 0, 0
}

func (p *parser) sum() (float64, bool) {
	v, ok := p.product()
	for ok {
		save := p.i
		o, found := p.op("+-")
		if !found {
			p.i = save
			return v, true
		}
		r, ok2 := p.product()
		if !ok2 {
			return 0, false
		}
		if o == '+' {
			v += r
		} else {
			v -= r
		}
	}
	return v, ok
}

func (p *parser) product() (float64, bool) {
	v, ok := p.power()
	for ok {
		save := p.i
		o, found := p.op("*/")
		if !found {
			p.i = save
			return v, true
		}
		r, ok2 := p.power()
		if !ok2 {
			return 0, false
		}
		if o == '*' {
			v *= r
		} else {
			if r == 0 {
				return 0, false
			}
			v /= r
		}
	}
	return v, ok
}

func (p *parser) power() (float64, bool) {
	v, ok := p.unary()
	if !ok {
		return 0, false
	}
	save := p.i
	if _, found := p.op("^"); found {
		e, ok := p.unary()
		if !ok || math.Abs(e) > 64 {
			return 0, false
		}
		return math.Pow(v, e), true
	}
	p.i = save
	return v, true
}

func (p *parser) unary() (float64, bool) {
	save := p.i
	if _, found := p.op("-"); found {
		p.ops-- // a sign, not an operation: "-5 = -5" shows no arithmetic
		v, ok := p.unary()
		return -v, ok
	}
	p.i = save
	return p.atom()
}

func (p *parser) atom() (float64, bool) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		if p.depth > 32 {
			return 0, false
		}
		p.depth++
		p.i++
		v, ok := p.sum()
		p.space()
		if !ok || p.i >= len(p.s) || p.s[p.i] != ')' {
			return 0, false
		}
		p.i++
		p.depth--
		return p.percent(v), true
	}
	if p.i < len(p.s) && p.s[p.i] == '$' {
		p.i++
	}
	start := p.i
	for p.i < len(p.s) && (isDigit(p.s[p.i]) || p.s[p.i] == '.' || p.s[p.i] == ',' && thousands(p.s, p.i)) {
		p.i++
	}
	num := p.s[start:p.i]
	if num == "" {
		return 0, false
	}
	v, ok := parseDecimal(num)
	if !ok {
		return 0, false
	}
	return p.percent(v), true
}

// thousands reports whether the comma at i separates thousands: exactly
// three digits follow, then no further digit.
func thousands(s string, i int) bool {
	if i+3 >= len(s) {
		return false
	}
	for k := i + 1; k <= i+3; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return i+4 >= len(s) || !isDigit(s[i+4])
}

func (p *parser) percent(v float64) float64 {
	if p.i < len(p.s) && p.s[p.i] == '%' {
		p.i++
		p.ops++
		return v / 100
	}
	return v
}
