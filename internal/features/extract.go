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
	grams   []uint64 // one token's character n-gram hashes
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

// charNgrams adds the n-grams of " tok " (runes, not bytes) to the upper
// half: all n-grams of the smallest n first, in text order, then the next
// n. The order fixes the buckets' first occurrence, hence the vector's
// entry order, so the fast paths below keep it.
func (c *Config) charNgrams(sc *scratch, tok []byte, half uint32) {
	sc.pad = append(append(append(sc.pad[:0], ' '), tok...), ' ')
	if !isASCIIBytes(tok) {
		c.charNgramsRunes(sc, half)
		return
	}
	if c.CharNgramMin == 3 && c.CharNgramMax == 5 {
		charNgrams345(sc, half)
		return
	}
	mask := half - 1
	p := sc.pad
	for n := c.CharNgramMin; n <= c.CharNgramMax && n <= len(p); n++ {
		seed := uint64(fnvOffset) ^ seedChar ^ uint64(n)
		for i := 0; i+n <= len(p); i++ {
			sc.add(half | uint32(mix(fnvBytes(seed, p[i:i+n])))&mask)
		}
	}
}

// charNgrams345 is the default 3..5 range on an ASCII token: the three
// FNV chains of each start position are computed together (independent
// multiplies overlap), then added in the reference order.
func charNgrams345(sc *scratch, half uint32) {
	const (
		seed3 = uint64(fnvOffset) ^ seedChar ^ 3
		seed4 = uint64(fnvOffset) ^ seedChar ^ 4
		seed5 = uint64(fnvOffset) ^ seedChar ^ 5
	)
	p := sc.pad
	np := len(p) // >= 3: a token has at least one byte
	n3, n4, n5 := np-2, max(np-3, 0), max(np-4, 0)
	h := sc.grams[:0]
	if cap(h) < n3+n4+n5 {
		h = make([]uint64, 0, 2*(n3+n4+n5))
	}
	h = h[:n3+n4+n5]
	h3, h4, h5 := h[:n3], h[n3:n3+n4], h[n3+n4:]
	for i := 0; i < n3; i++ {
		b0, b1, b2 := uint64(p[i]), uint64(p[i+1]), uint64(p[i+2])
		a := (((seed3^b0)*fnvPrime^b1)*fnvPrime ^ b2) * fnvPrime
		h3[i] = a
		if i < n4 {
			b3 := uint64(p[i+3])
			x := (((seed4^b0)*fnvPrime^b1)*fnvPrime^b2)*fnvPrime ^ b3
			h4[i] = x * fnvPrime
			if i < n5 {
				y := ((((seed5^b0)*fnvPrime^b1)*fnvPrime^b2)*fnvPrime^b3)*fnvPrime ^ uint64(p[i+4])
				h5[i] = y * fnvPrime
			}
		}
	}
	mask := half - 1
	for _, x := range h {
		sc.add(half | uint32(mix(x))&mask)
	}
	sc.grams = h
}

// charNgramsRunes is the general case: n-grams of runes over sc.pad.
func (c *Config) charNgramsRunes(sc *scratch, half uint32) {
	mask := half - 1
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

func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Per-byte properties of ASCII, so the common case needs one table load
// instead of the unicode package's range searches.
const (
	aTok   = 1 << iota // letter or digit: part of a token
	aDigit             // 0-9
	aUpper             // A-Z
	aSpace             // unicode.IsSpace
	aLine              // '\n'
	aQMark             // '?'
	aMath              // counted in the math symbol ratio
	aCode              // counted as a code mark
)

var asciiProps = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		r := rune(c)
		var f uint8
		if isTokenRune(r) {
			f |= aTok
		}
		if r >= '0' && r <= '9' {
			f |= aDigit
		}
		if r >= 'A' && r <= 'Z' {
			f |= aUpper
		}
		if unicode.IsSpace(r) {
			f |= aSpace
		}
		t[c] = f | symbolProps(r)
	}
	return t
}()

// symbolProps classifies the runes the dense characteristics count.
func symbolProps(r rune) uint8 {
	switch r {
	case '\n':
		return aLine
	case '?':
		return aQMark
	case '+', '-', '*', '/', '^', '=', '<', '>', '%', '$', '\\', '×', '÷', '√', '∑', '∫':
		return aMath
	case '{', '}', ';', '`', '_', '#', '[', ']':
		return aCode
	}
	return 0
}

// tokenState is tokenize's running state.
type tokenState struct {
	runes, words, lines, digits, qmarks, caps, choices int
	mathSyms, codeMarks, letters, uppers, maxTok       int
	inTok, inWord, lineStart                           bool
	tokStart                                           int
	hash                                               uint64 // FNV-1a of the token so far
}

func (sc *scratch) endToken(st *tokenState) {
	end := len(sc.lower)
	if l := end - st.tokStart; l > st.maxTok {
		st.maxTok = l
	}
	sc.tokEnd = append(sc.tokEnd, int32(end))
	sc.tokHash = append(sc.tokHash, st.hash)
	st.inTok = false
}

// tokenize lower-cases q's alphanumeric runs into sc.lower/sc.tokEnd, hashes
// each token and computes the raw dense characteristics in the same pass.
func (sc *scratch) tokenize(q string) {
	sc.lower, sc.tokEnd, sc.tokHash = sc.lower[:0], sc.tokEnd[:0], sc.tokHash[:0]
	st := tokenState{lineStart: true}
	for i := 0; i < len(q); {
		st.runes++
		if b := q[i]; b < utf8.RuneSelf {
			if asciiProps[b]&aTok != 0 && !st.lineStart {
				i = sc.asciiToken(&st, q, i)
				continue
			}
			sc.asciiByte(&st, q, i, b)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(q[i:])
		sc.otherRune(&st, q, i, r)
		i += w
	}
	if st.inTok {
		sc.endToken(&st)
	}
	nt := len(sc.tokEnd)
	d := &sc.dense
	d[0] = math.Log1p(float64(len(q)))
	d[1] = math.Log1p(float64(st.words))
	d[2] = math.Log1p(float64(st.lines))
	d[3] = ratio(st.digits, st.runes)
	d[4] = math.Log1p(float64(st.qmarks))
	d[5] = ratio(st.caps, nt)
	d[6] = math.Log1p(float64(st.choices))
	d[7] = ratio(st.mathSyms, st.runes)
	d[8] = math.Log1p(float64(st.codeMarks))
	d[9] = ratio(len(sc.lower), nt)
	d[10] = math.Log1p(float64(st.maxTok))
	d[11] = ratio(st.uppers, st.letters)
}

// asciiToken is tokenize's step for a run of ASCII letters and digits
// starting at q[i] (not at a line start); it returns the run's end. Such
// bytes are never spaces or counted symbols, so only the token counters
// move.
func (sc *scratch) asciiToken(st *tokenState, q string, i int) int {
	if !st.inTok {
		st.inTok, st.tokStart, st.hash = true, len(sc.lower), fnvOffset
		if asciiProps[q[i]]&aUpper != 0 && len(sc.tokEnd) > 0 {
			st.caps++
		}
	}
	if !st.inWord {
		st.words++
		st.inWord = true
	}
	h, j := st.hash, i
	var digits, uppers int
	for ; j < len(q); j++ {
		b := q[j]
		if b >= utf8.RuneSelf {
			break
		}
		f := asciiProps[b]
		if f&aTok == 0 {
			break
		}
		digits += int(f>>1) & 1 // aDigit
		up := int(f>>2) & 1     // aUpper
		uppers += up
		b |= byte(up) << 5 // 'A'..'Z' | 0x20 = 'a'..'z'
		sc.lower = append(sc.lower, b)
		h = (h ^ uint64(b)) * fnvPrime
	}
	n := j - i
	st.hash = h
	st.runes += n - 1 // the caller counted the first
	st.digits += digits
	st.letters += n - digits
	st.uppers += uppers
	return j
}

// asciiByte is tokenize's step for an ASCII byte b at q[i].
func (sc *scratch) asciiByte(st *tokenState, q string, i int, b byte) {
	f := asciiProps[b]
	if st.lineStart && b != ' ' && b != '\t' {
		if isChoiceLine(q[i:]) {
			st.choices++
		}
		st.lineStart = false
	}
	if f&aTok != 0 {
		if !st.inTok {
			st.inTok, st.tokStart, st.hash = true, len(sc.lower), fnvOffset
			if f&aUpper != 0 && len(sc.tokEnd) > 0 {
				st.caps++
			}
		}
		if f&aDigit != 0 {
			st.digits++
		} else {
			st.letters++
			if f&aUpper != 0 {
				st.uppers++
				b += 'a' - 'A'
			}
		}
		sc.lower = append(sc.lower, b)
		st.hash = (st.hash ^ uint64(b)) * fnvPrime
	} else if st.inTok {
		sc.endToken(st)
	}
	space := f&aSpace != 0
	if !space && !st.inWord {
		st.words++
	}
	st.inWord = !space
	st.count(f)
}

func (st *tokenState) count(f uint8) {
	switch {
	case f&aLine != 0:
		st.lines++
		st.lineStart = true
	case f&aQMark != 0:
		st.qmarks++
	case f&aMath != 0:
		st.mathSyms++
	case f&aCode != 0:
		st.codeMarks++
	}
}

// otherRune is tokenize's step for a non-ASCII rune (or an invalid byte,
// decoded as utf8.RuneError) at q[i].
func (sc *scratch) otherRune(st *tokenState, q string, i int, r rune) {
	if st.lineStart && r != ' ' && r != '\t' {
		if isChoiceLine(q[i:]) {
			st.choices++
		}
		st.lineStart = false
	}
	if isTokenRune(r) {
		if !st.inTok {
			st.inTok, st.tokStart, st.hash = true, len(sc.lower), fnvOffset
			if unicode.IsUpper(r) && len(sc.tokEnd) > 0 {
				st.caps++
			}
		}
		if unicode.IsDigit(r) {
			st.digits++
		} else {
			st.letters++
			if unicode.IsUpper(r) {
				st.uppers++
			}
		}
		n := len(sc.lower)
		sc.lower = utf8.AppendRune(sc.lower, unicode.ToLower(r))
		st.hash = fnvBytes(st.hash, sc.lower[n:])
	} else if st.inTok {
		sc.endToken(st)
	}
	space := unicode.IsSpace(r)
	if !space && !st.inWord {
		st.words++
	}
	st.inWord = !space
	st.count(symbolProps(r))
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
