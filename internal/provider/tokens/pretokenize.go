package tokens

import (
	"unicode"
	"unicode/utf8"
)

// cl100k_base splits text into pieces with this pattern before BPE:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// tiktoken-go runs it through a backtracking regexp engine (dlclark/regexp2)
// on a []rune copy of the text, which is ~85% of its encoding time. nextPiece
// is the same pattern written out by hand, with regexp2's definitions: \s is
// unicode.IsSpace, \p{L} and \p{N} are Go's unicode tables, (?i) lower-cases
// the input rune (no non-ASCII rune lower-cases to s, t, r, e, v, m, l or d).
// The alternatives are tried in order, as the regexp engine does; every
// position matches one of them, so the pieces tile the text.

type class uint8

const (
	clsOther class = iota // punctuation, symbols, marks...
	clsLetter
	clsNumber
	clsSpace
)

var asciiClass = func() (t [utf8.RuneSelf]class) {
	for c := range t {
		t[c] = unicodeClass(rune(c))
	}
	return t
}()

func classOf(r rune) class {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	return unicodeClass(r)
}

func unicodeClass(r rune) class {
	switch {
	case unicode.Is(unicode.L, r):
		return clsLetter
	case unicode.Is(unicode.N, r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// at decodes the rune at i (s is valid UTF-8) and classifies it.
func at(s string, i int) (rune, int, class) {
	if b := s[i]; b < utf8.RuneSelf {
		return rune(b), 1, asciiClass[b]
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return r, w, classOf(r)
}

// runEnd returns the end of the run of runes of class c starting at i.
func runEnd(s string, i int, c class) int {
	for i < len(s) {
		_, w, k := at(s, i)
		if k != c {
			break
		}
		i += w
	}
	return i
}

func lowerASCII(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// nextPiece returns the end of the piece starting at i < len(s).
func nextPiece(s string, i int) int {
	r0, w0, c0 := at(s, i)
	// '(?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r0 == '\'' && i+1 < len(s) {
		switch lowerASCII(s[i+1]) {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && lowerASCII(s[i+2]) == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && lowerASCII(s[i+2]) == 'l' {
				return i + 3
			}
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0 == clsLetter {
		return runEnd(s, i, clsLetter)
	}
	if c0 != clsNumber && r0 != '\r' && r0 != '\n' && i+w0 < len(s) {
		if _, _, c1 := at(s, i+w0); c1 == clsLetter {
			return runEnd(s, i+w0, clsLetter)
		}
	}
	// \p{N}{1,3}
	if c0 == clsNumber {
		j := i + w0
		for n := 1; n < 3 && j < len(s); n++ {
			_, w, c := at(s, j)
			if c != clsNumber {
				break
			}
			j += w
		}
		return j
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	j := i
	if r0 == ' ' {
		j++
	}
	if j < len(s) {
		if _, _, c := at(s, j); c == clsOther {
			j = runEnd(s, j, clsOther)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
	}
	return spacePiece(s, i)
}

// spacePiece handles the whitespace alternatives at i (a space rune):
// \s*[\r\n]+ ends after the run's last line break; \s+(?!\S) leaves the
// run's last rune for the next piece unless the run ends the text; \s+
// takes a lone space rune.
func spacePiece(s string, i int) int {
	lastBreak, lastStart, j := -1, i, i
	for j < len(s) {
		_, w, c := at(s, j)
		if c != clsSpace {
			break
		}
		if s[j] == '\r' || s[j] == '\n' {
			lastBreak = j
		}
		lastStart = j
		j += w
	}
	switch {
	case lastBreak >= 0:
		return lastBreak + 1
	case j == len(s) || lastStart == i:
		return j
	}
	return lastStart
}
