package wirejson

import (
	"bytes"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Unquote decodes a string token (with its quotes) already validated by
// ScanString, exactly as encoding/json decodes it into a Go string:
// escapes resolved, lone or invalid surrogates and invalid UTF-8 bytes
// each replaced by U+FFFD.
func Unquote(tok []byte) string {
	s := tok[1 : len(tok)-1]
	if !hasBackslash(s) && (isASCII(s) || utf8.Valid(s)) {
		return string(s)
	}
	return string(unescape(s))
}

// UnquoteIn is Unquote for a token that lies in doc at doc[start:end],
// where doc is the same document already converted to a string once: a
// token without escapes is then a substring of it and costs no allocation.
func UnquoteIn(doc string, tok []byte, start int) string {
	s := tok[1 : len(tok)-1]
	if !hasBackslash(s) && (isASCII(s) || utf8.Valid(s)) {
		return doc[start+1 : start+len(tok)-1]
	}
	return string(unescape(s))
}

func hasBackslash(s []byte) bool { return bytes.IndexByte(s, '\\') >= 0 }

func unescape(s []byte) []byte {
	b := make([]byte, 0, len(s)+2*utf8.UTFMax)
	for r := 0; r < len(s); {
		// Copy the run up to the next escape at once: most escaped text is
		// long prose with a few \n or \" in it.
		run := s[r:]
		if j := bytes.IndexByte(run, '\\'); j >= 0 {
			run = run[:j]
		}
		if isASCII(run) || utf8.Valid(run) {
			b = append(b, run...)
		} else {
			b = appendCoerced(b, run)
		}
		if r += len(run); r < len(s) {
			var n int
			b, n = appendEscape(b, s[r:])
			r += n
		}
	}
	return b
}

// appendCoerced appends s with each invalid UTF-8 byte made U+FFFD.
func appendCoerced(b, s []byte) []byte {
	for r := 0; r < len(s); {
		if c := s[r]; c < utf8.RuneSelf {
			b = append(b, c)
			r++
			continue
		}
		rr, size := utf8.DecodeRune(s[r:])
		r += size
		b = utf8.AppendRune(b, rr)
	}
	return b
}

// appendEscape decodes the (valid) escape at the start of s and returns
// how many bytes it used, pairing UTF-16 surrogates as encoding/json does.
func appendEscape(b, s []byte) ([]byte, int) {
	switch s[1] {
	case 'b':
		return append(b, '\b'), 2
	case 'f':
		return append(b, '\f'), 2
	case 'n':
		return append(b, '\n'), 2
	case 'r':
		return append(b, '\r'), 2
	case 't':
		return append(b, '\t'), 2
	case 'u':
	default: // '"', '\\', '/'
		return append(b, s[1]), 2
	}
	rr := u4(s)
	if utf16.IsSurrogate(rr) {
		if rr1 := u4(s[6:]); rr1 >= 0 {
			if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
				return utf8.AppendRune(b, dec), 12
			}
		}
		rr = unicode.ReplacementChar
	}
	return utf8.AppendRune(b, rr), 6
}

// u4 reads a \uXXXX escape at the start of s, or returns -1.
func u4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r*16 + v
	}
	return r
}
