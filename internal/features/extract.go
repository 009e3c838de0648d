package features

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// NumDense is the number of dense characteristics appended to each vector.
const NumDense = 12

// DenseNames names the dense characteristics in vector order (for model
// inspection and docs). They mirror Analyze's numeric characteristics but
// are computed in one pass without regular expressions: Analyze costs about
// 400 µs on a 100-word query, far over the router's latency budget.
var DenseNames = [NumDense]string{
	"log_bytes", "log_words", "log_extra_lines", "digit_ratio",
	"log_question_marks", "capitalized_ratio", "log_choice_lines",
	"math_symbol_ratio", "log_code_marks", "mean_token_len",
	"log_max_token_len", "upper_ratio",
}

// Hash seeds keep the n-gram kinds in separate hash streams.
const (
	seedWord  = 0x9ae16a3b2f90404f
	seedChar  = 0xc3a5c85c97cb3127
	seedQWord = 0xb492b66fbe98f273
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// sublinear[c] = 1+ln(c) for small counts, avoiding math.Log per feature.
var sublinear = func() [64]float32 {
	var t [64]float32
	for c := 1; c < len(t); c++ {
		t[c] = float32(1 + math.Log(float64(c)))
	}
	return t
}()

// scratch is the per-call working memory, pooled so the hot path does not
// allocate. counts is indexed by bucket and is all zero between uses.
type scratch struct {
	counts  []float32
	touched []uint32
	lower   []byte  // lower-cased token bytes, back to back
	tokEnd  []int32 // end offset of each token in lower
	tokHash []uint64
	pad     []byte
	runeOff []int32
	dense   [NumDense]float64
}

func newScratch(bits int) *scratch {
	return &scratch{
		counts:  make([]float32, 1<<bits),
		touched: make([]uint32, 0, 1024),
		lower:   make([]byte, 0, 1024),
		tokEnd:  make([]int32, 0, 256),
		tokHash: make([]uint64, 0, 256),
		pad:     make([]byte, 0, 64),
		runeOff: make([]int32, 0, 64),
	}
}

// Truncate cuts q to at most max bytes, backing up to a rune boundary.
func Truncate(q string, max int) string {
	if len(q) <= max {
		return q
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(q[cut]) {
		cut--
	}
	return q[:cut]
}

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func (sc *scratch) add(bucket uint32) {
	if sc.counts[bucket] == 0 {
		sc.touched = append(sc.touched, bucket)
	}
	sc.counts[bucket]++
}

func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// extract tokenises q (already truncated), fills sc.touched/sc.counts with
// hashed n-gram counts and sc.dense with the raw characteristics.
func (c *Config) extract(q string, sc *scratch) {
	sc.tokenize(q)
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
			c.charNgrams(sc, sc.lower[start:end], half)
			start = end
		}
	}
}

// charNgrams adds the n-grams of " tok " (runes, not bytes) to the upper half.
func (c *Config) charNgrams(sc *scratch, tok []byte, half uint32) {
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

// tokenize lower-cases q's alphanumeric runs into sc.lower/sc.tokEnd, hashes
// each token and computes the raw dense characteristics in the same pass.
func (sc *scratch) tokenize(q string) {
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

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// isChoiceLine reports whether s starts like a multiple-choice option:
// "A. ", "(b) ", "C) ".
func isChoiceLine(s string) bool {
	if len(s) > 0 && s[0] == '(' {
		s = s[1:]
	}
	if len(s) < 3 {
		return false
	}
	l := s[0] | 0x20
	return l >= 'a' && l <= 'e' && (s[1] == '.' || s[1] == ')') && (s[2] == ' ' || s[2] == '\t')
}

func isQuestionWord(w []byte) bool {
	for _, q := range questionWords {
		if string(w) == q {
			return true
		}
	}
	return false
}
