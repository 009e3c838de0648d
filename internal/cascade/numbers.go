package cascade

import (
	"math"
	"strconv"
)

// pow10 holds the exact powers of ten a float64 represents.
var pow10 = func() (p [23]float64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// parseDecimal converts digits with at most one '.' and any ',' (ignored)
// to a float64. Up to 15 significant digits the value is M / 10^k with M
// and 10^k exact, one correctly rounded division, so it equals
// strconv.ParseFloat's result without its allocation; longer numbers go
// to ParseFloat.
func parseDecimal(s string) (float64, bool) {
	var m uint64
	digits, frac, dot, seen := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			seen = true
			if digits == 0 && c == '0' && !dot {
				continue // leading zeros carry no precision
			}
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.':
			if dot {
				return 0, false
			}
			dot = true
		case c == ',':
		default:
			return 0, false
		}
	}
	if !seen {
		return 0, false
	}
	if digits > 15 || frac >= len(pow10) {
		return slowDecimal(s)
	}
	return float64(m) / pow10[frac], true
}

func slowDecimal(s string) (float64, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			b = append(b, s[i])
		}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil && !math.IsInf(v, 0)
}

// numberEnd is the end of the number starting at i: digits with decimal
// points and thousands commas between digits.
func numberEnd(s string, i int) int {
	for i < len(s) && (isDigit(s[i]) || (s[i] == '.' || s[i] == ',') && i+1 < len(s) && isDigit(s[i+1])) {
		i++
	}
	return i
}

// appendNumbers appends the distinct values of the numbers in s to dst.
func appendNumbers(dst []float64, s string) []float64 {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := numberEnd(s, i)
		if v, ok := parseDecimal(s[i:j]); ok && !containsFloat(dst, v) {
			dst = append(dst, v)
		}
		i = j
	}
	return dst
}

func containsFloat(xs []float64, v float64) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// firstNumber is the value of the first number in s.
func firstNumber(s []byte) (float64, bool) {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			j := i
			for j < len(s) && (isDigit(s[j]) || (s[j] == '.' || s[j] == ',') && j+1 < len(s) && isDigit(s[j+1])) {
				j++
			}
			return parseDecimal(string(s[i:j]))
		}
	}
	return 0, false
}
