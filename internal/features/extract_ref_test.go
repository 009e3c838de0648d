package features

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// The feature extraction as it was at FeatureVersion 1 before it was
// optimised, kept verbatim (renamed) as the reference the fast version must
// reproduce exactly: same buckets, counts, first-occurrence order and dense
// values (TestExtractMatchesReference, FuzzExtractMatchesReference).

// extractRef tokenises q (already truncated), fills sc.touched/sc.counts with
// hashed n-gram counts and sc.dense with the raw characteristics.
func (c *Config) extractRef(q string, sc *scratch) {
	sc.tokenizeRef(q)
	half := uint32(1) << (c.HashBits - 1)
	mask := half - 1
	n := len(sc.tokHash)
	for i := 0; i < n; i++ {
		h := sc.tokHash[i]
		for k := 1; k <= c.WordNgramMax && i+k <= n; k++ {
			if k > 1 {
				h = h*fnvPrime ^ sc.tokHash[i+k-1]
			}
			if k >= c.WordNgramMin {
				sc.add(uint32(mix(h^seedWord^uint64(k))) & mask)
			}
		}
	}
	if n > 0 {
		// The question word ("what", "which", ...) as its own feature.
		first := sc.lower[:sc.tokEnd[0]]
		if isQuestionWord(first) {
			sc.add(uint32(mix(fnvBytes(fnvOffset, first)^seedQWord)) & mask)
		}
	}
	if c.CharNgramMax > 0 {
		start := int32(0)
		for _, end := range sc.tokEnd {
			c.charNgramsRef(sc, sc.lower[start:end], half)
			start = end
		}
	}
}

// charNgramsRef adds the n-grams of " tok " (runes, not bytes) to the upper half.
func (c *Config) charNgramsRef(sc *scratch, tok []byte, half uint32) {
	mask := half - 1
	sc.pad = append(append(append(sc.pad[:0], ' '), tok...), ' ')
	sc.runeOff = sc.runeOff[:0]
	for i := 0; i < len(sc.pad); {
		sc.runeOff = append(sc.runeOff, int32(i))
		if sc.pad[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRune(sc.pad[i:])
			i += w
		}
	}
	nr := len(sc.runeOff)
	sc.runeOff = append(sc.runeOff, int32(len(sc.pad)))
	for n := c.CharNgramMin; n <= c.CharNgramMax && n <= nr; n++ {
		seed := uint64(fnvOffset) ^ seedChar ^ uint64(n)
		for i := 0; i+n <= nr; i++ {
			h := fnvBytes(seed, sc.pad[sc.runeOff[i]:sc.runeOff[i+n]])
			sc.add(half | uint32(mix(h))&mask)
		}
	}
}

// tokenizeRef lower-cases q's alphanumeric runs into sc.lower/sc.tokEnd, hashes
// each token and computes the raw dense characteristics in the same pass.
func (sc *scratch) tokenizeRef(q string) {
	sc.lower, sc.tokEnd, sc.tokHash = sc.lower[:0], sc.tokEnd[:0], sc.tokHash[:0]
	var runes, words, lines, digits, qmarks, caps, choices, mathSyms, codeMarks, letters, uppers, maxTok int
	inTok, inWord, lineStart := false, false, true
	tokStart := 0
	endTok := func() {
		end := len(sc.lower)
		if l := end - tokStart; l > maxTok {
			maxTok = l
		}
		sc.tokEnd = append(sc.tokEnd, int32(end))
		sc.tokHash = append(sc.tokHash, fnvBytes(fnvOffset, sc.lower[tokStart:end]))
		inTok = false
	}
	for i, r := range q {
		runes++
		if lineStart && r != ' ' && r != '\t' {
			if isChoiceLine(q[i:]) {
				choices++
			}
			lineStart = false
		}
		if isTokenRune(r) {
			if !inTok {
				inTok, tokStart = true, len(sc.lower)
				if unicode.IsUpper(r) && len(sc.tokEnd) > 0 {
					caps++
				}
			}
			if unicode.IsDigit(r) {
				digits++
			} else {
				letters++
				if unicode.IsUpper(r) {
					uppers++
				}
			}
			if r < utf8.RuneSelf {
				if r >= 'A' && r <= 'Z' {
					r += 'a' - 'A'
				}
				sc.lower = append(sc.lower, byte(r))
			} else {
				sc.lower = utf8.AppendRune(sc.lower, unicode.ToLower(r))
			}
		} else if inTok {
			endTok()
		}
		space := unicode.IsSpace(r)
		if !space && !inWord {
			words++
		}
		inWord = !space
		switch r {
		case '\n':
			lines++
			lineStart = true
		case '?':
			qmarks++
		case '+', '-', '*', '/', '^', '=', '<', '>', '%', '$', '\\', '×', '÷', '√', '∑', '∫':
			mathSyms++
		case '{', '}', ';', '`', '_', '#', '[', ']':
			codeMarks++
		}
	}
	if inTok {
		endTok()
	}
	nt := len(sc.tokEnd)
	d := &sc.dense
	d[0] = math.Log1p(float64(len(q)))
	d[1] = math.Log1p(float64(words))
	d[2] = math.Log1p(float64(lines))
	d[3] = ratio(digits, runes)
	d[4] = math.Log1p(float64(qmarks))
	d[5] = ratio(caps, nt)
	d[6] = math.Log1p(float64(choices))
	d[7] = ratio(mathSyms, runes)
	d[8] = math.Log1p(float64(codeMarks))
	d[9] = ratio(len(sc.lower), nt)
	d[10] = math.Log1p(float64(maxTok))
	d[11] = ratio(uppers, letters)
}
