// Package wirejson holds the reflection-free JSON primitives of the
// hand-written decoders on the wire hot paths (the gateway's request
// parser and the decoder of upstream answers): a validating scanner and
// string decoding that accept exactly what encoding/json does (same
// grammar, same depth limit, invalid UTF-8 and lone surrogates decoded to
// U+FFFD). Callers use them on the shapes they know and fall back to
// encoding/json for everything else, so error messages and corner cases
// stay those of the standard library. Encoding is encoding/json's; see
// BENCHMARKS.md, "JSON encoding and decoding", for why.
package wirejson

import (
	"encoding/binary"
	"unicode/utf8"
)

// MaxDepth is encoding/json's nesting limit: deeper documents are invalid.
const MaxDepth = 10000

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Valid reports whether b is one JSON value with optional surrounding
// whitespace; it agrees with json.Valid.
func Valid(b []byte) bool {
	end, ok := SkipValue(b, SkipSpace(b, 0))
	return ok && SkipSpace(b, end) == len(b)
}

// SkipValue validates the value starting at b[i] (no leading whitespace)
// and returns the index just after it.
func SkipValue(b []byte, i int) (int, bool) {
	return skipValue(b, i, 0)
}

// SkipValueAt is SkipValue for a value inside depth enclosing objects or
// arrays, which count towards MaxDepth.
func SkipValueAt(b []byte, i, depth int) (int, bool) {
	return skipValue(b, i, depth)
}

func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		end, _, ok := ScanString(b, i)
		return end, ok
	case c == '{':
		return skipObject(b, i, depth+1)
	case c == '[':
		return skipArray(b, i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return ScanNumber(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	}
	return i, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

func skipObject(b []byte, i, depth int) (int, bool) {
	if depth > MaxDepth {
		return i, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		end, _, ok := ScanString(b, i)
		if !ok {
			return i, false
		}
		i = SkipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		if i, ok = skipValue(b, SkipSpace(b, i+1), depth); !ok {
			return i, false
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

func skipArray(b []byte, i, depth int) (int, bool) {
	if depth > MaxDepth {
		return i, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = skipValue(b, i, depth); !ok {
			return i, false
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// ScanNumber validates the number starting at b[i] against JSON's grammar
// and returns the index just after it.
func ScanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special reports, for 8 bytes, whether any is a quote, a backslash or a
// control character: the only bytes a string scan must stop at.
func special(x uint64) bool {
	q := x ^ (lsb * '"')
	s := x ^ (lsb * '\\')
	return ((q-lsb)&^q|(s-lsb)&^s|(x-lsb*0x20)&^x)&msb != 0
}

// ScanString validates the string starting at b[i] (a quote) and returns
// the index just after its closing quote, and whether it holds escapes.
// Bytes of 0x80 and above are not checked: encoding/json accepts invalid
// UTF-8 inside strings too (and decodes it to U+FFFD).
func ScanString(b []byte, i int) (end int, escaped bool, ok bool) {
	i++
	for {
		for len(b)-i >= 8 && !special(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			return i, escaped, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			n, ok := escapeLen(b, i)
			if !ok {
				return i, escaped, false
			}
			i += n
		case c < 0x20:
			return i, escaped, false
		default:
			i++
		}
	}
}

// escapeLen validates the escape at b[i] (a backslash) and returns its length.
func escapeLen(b []byte, i int) (int, bool) {
	if i+1 >= len(b) {
		return 0, false
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		if i+6 > len(b) {
			return 0, false
		}
		for _, c := range b[i+2 : i+6] {
			if hexVal(c) < 0 {
				return 0, false
			}
		}
		return 6, true
	}
	return 0, false
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// isASCII reports whether b has no byte of 0x80 or above.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&msb != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
