package cascade

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/llmrouter/llmrouter/internal/solution"
)

// Signals are what an answer shows about its own reliability, computed from
// the query and the answer text alone.
type Signals struct {
	Words, Lines       int
	Hedges, Refusal    int
	SelfCorrections    int
	FinalMarker        bool // "####", \boxed, "the answer is", "final answer"
	HasFinal           bool // a final number could be extracted
	FinalFraction      bool // the final number is not whole
	FinalNegative      bool
	Arith              Arithmetic
	FinalIsLastResult  bool // the final number is the last equation's result
	FinalInQuery       bool // the final number only echoes a given one
	QueryNumbersUsed   float64
	DistinctNumbers    int
	ConflictingAnswers bool // two stated answers disagree
	AsksBack           bool // the answer asks the user a question
	Rounds             bool
	CountQuestion      bool // "how many"/"how much": a whole number is due
	QueryWords         int
}

// NumSignals is the length of Signals.Vector.
const NumSignals = 23

// SignalNames name Vector's entries, in order; saved in cascade.json so a
// reader can see what each weight multiplies.
var SignalNames = [NumSignals]string{
	"log_words", "log_lines", "log_hedges", "refusal", "log_self_corrections",
	"final_marker", "has_final_number", "final_not_whole", "final_negative",
	"log_equations", "log_wrong_equations", "wrong_equation_share", "last_equation_wrong",
	"final_is_last_result", "final_in_query", "query_numbers_used", "log_distinct_numbers",
	"conflicting_answers", "asks_back", "rounds", "count_question_not_whole",
	"log_query_words", "no_final_number_for_count",
}

var (
	hedgePhrases = []string{"i think", "i believe", "probably", "likely", "approximately", "roughly",
		"not sure", "not certain", "it seems", "might be", "may be", "assuming", "assume", "estimate",
		"unclear", "ambiguous", "guess"}
	refusalPhrases = []string{"i don't know", "i do not know", "i'm not able", "i am not able", "unable to",
		"cannot be determined", "can't be determined", "cannot determine", "can't determine", "not possible to",
		"insufficient", "not enough information", "not provided", "no way to", "i'm sorry", "i apologize",
		"as an ai", "not specified", "does not specify", "doesn't specify", "does not say", "doesn't say",
		"not given", "impossible to"}
	correctionPhrases = []string{"however", "wait", "actually", "mistake", "correction", "let me re",
		"recalculate", "re-evaluate", "reconsider", "oops", "i made an error", "should be", "instead",
		"but since", "that's not right", "that is not right", "incorrect"}
	markers = []string{"####", "\\boxed", "the answer is", "final answer", "answer:"}
)

// MaxAnswerBytes bounds what the verifier reads of an answer: its first
// and last halves of this size. Worked answers are a few KiB; the final
// answer is at the end, so a runaway answer keeps its head and its tail and
// costs a fixed, small time.
const MaxAnswerBytes = 32 << 10

// clip keeps the head and the tail of an oversized answer.
func clip(s string) string {
	if len(s) <= MaxAnswerBytes {
		return s
	}
	half := MaxAnswerBytes / 2
	return s[:half] + "\n" + s[len(s)-half:]
}

// Analyze computes the signals of answer to query. Queries are clipped the
// same way as answers.
func Analyze(query, answer string) Signals {
	query, answer = clip(query), clip(answer)
	buf := lowerPool.Get().(*[]byte)
	low := lowerASCII((*buf)[:0], answer)
	s := Signals{
		Lines:      countLines(answer),
		Arith:      CheckArithmetic(answer),
		AsksBack:   strings.HasSuffix(strings.TrimSpace(answer), "?"),
		Rounds:     bytes.Contains(low, []byte("round")),
		QueryWords: countFields(query),
	}
	s.Words = scanPhrases(low, &s)
	for _, m := range markers {
		if bytes.Contains(low, []byte(m)) {
			s.FinalMarker = true
			break
		}
	}
	s.ConflictingAnswers = conflicting(low)
	*buf = low
	lowerPool.Put(buf)
	ql := strings.ToLower(query)
	s.CountQuestion = strings.Contains(ql, "how many") || strings.Contains(ql, "how much")
	var qbuf, abuf [32]float64
	qnums := appendNumbers(qbuf[:0], query)
	anums := appendNumbers(abuf[:0], answer)
	s.DistinctNumbers = len(anums)
	if len(qnums) > 0 {
		used := 0
		for _, n := range qnums {
			if containsFloat(anums, n) {
				used++
			}
		}
		s.QueryNumbersUsed = float64(used) / float64(len(qnums))
	}
	if f, ok := solution.FinalNumber(answer); ok {
		s.HasFinal = true
		if v, err := strconv.ParseFloat(f, 64); err == nil {
			s.FinalFraction = v != math.Trunc(v)
			s.FinalNegative = v < 0
			s.FinalIsLastResult = s.Arith.Equations > 0 && close(s.Arith.LastValue, v)
			s.FinalInQuery = containsFloat(qnums, v)
		}
	}
	return s
}

var lowerPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// lowerASCII appends s to dst with ASCII letters lowered; the phrases it
// is matched against are ASCII, so other bytes need no folding.
func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func countFields(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		sp := s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f'
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// Vector is the signals as numbers, in SignalNames order.
func (s Signals) Vector() [NumSignals]float64 {
	share := 0.0
	if s.Arith.Equations > 0 {
		share = float64(s.Arith.Wrong) / float64(s.Arith.Equations)
	}
	return [NumSignals]float64{
		logc(s.Words), logc(s.Lines), logc(s.Hedges), b2f(s.Refusal > 0), logc(s.SelfCorrections),
		b2f(s.FinalMarker), b2f(s.HasFinal), b2f(s.FinalFraction), b2f(s.FinalNegative),
		logc(s.Arith.Equations), logc(s.Arith.Wrong), share, b2f(s.Arith.LastWrong),
		b2f(s.FinalIsLastResult), b2f(s.FinalInQuery), s.QueryNumbersUsed, logc(s.DistinctNumbers),
		b2f(s.ConflictingAnswers), b2f(s.AsksBack), b2f(s.Rounds), b2f(s.CountQuestion && s.FinalFraction),
		logc(s.QueryWords), b2f(s.CountQuestion && !s.HasFinal),
	}
}

func logc(n int) float64 { return math.Log1p(float64(n)) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func countLines(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

type phraseKind uint8

const (
	hedge phraseKind = iota
	refusal
	correction
)

type phrase struct {
	text []byte
	kind phraseKind
}

// phrasesByWord indexes every phrase by its first word, so one pass over
// the answer's words finds them all.
var phrasesByWord = func() map[string][]phrase {
	m := map[string][]phrase{}
	for kind, list := range [][]string{hedge: hedgePhrases, refusal: refusalPhrases, correction: correctionPhrases} {
		for _, p := range list {
			first := p
			for k := 0; k < len(p); k++ {
				if !isWordByte(p[k]) {
					first = p[:k]
					break
				}
			}
			m[first] = append(m[first], phrase{text: []byte(p), kind: phraseKind(kind)})
		}
	}
	return m
}()

// phraseStarts has a bit for the first two bytes of every phrase's first
// word: most words of an answer fail this test and skip the map lookup.
var phraseStarts = func() (bits [1 << 16 / 64]uint64) {
	for w := range phrasesByWord {
		k := startKey([]byte(w))
		bits[k/64] |= 1 << (k % 64)
	}
	return bits
}()

func startKey(w []byte) uint16 {
	k := uint16(w[0]) << 8
	if len(w) > 1 {
		k |= uint16(w[1])
	}
	return k
}

// scanPhrases counts the hedging, refusal and self-correction phrases that
// start at a word of low into s, and returns the whitespace-separated word
// count. It visits each byte once: a word is skipped whole once looked up.
func scanPhrases(low []byte, s *Signals) int {
	words, inField := 0, false
	for i := 0; i < len(low); {
		c := low[i]
		if asciiSpaceTab[c] {
			inField = false
			i++
			continue
		}
		if !inField {
			words++
			inField = true
		}
		if !wordByte[c] {
			i++
			continue
		}
		end := i + 1
		for end < len(low) && wordByte[low[end]] {
			end++
		}
		if i == 0 || !wordByte[low[i-1]] {
			countPhrasesAt(low, i, end, s)
		}
		i = end
	}
	return words
}

// countPhrasesAt counts the phrases that start with the word low[i:end].
func countPhrasesAt(low []byte, i, end int, s *Signals) {
	if k := startKey(low[i:end]); phraseStarts[k/64]&(1<<(k%64)) == 0 {
		return
	}
	for _, p := range phrasesByWord[string(low[i:end])] {
		if !bytes.HasPrefix(low[i:], p.text) {
			continue
		}
		switch p.kind {
		case hedge:
			s.Hedges++
		case refusal:
			s.Refusal++
		case correction:
			s.SelfCorrections++
		}
	}
}

var (
	asciiSpaceTab = [256]bool{' ': true, '\n': true, '\t': true, '\r': true, '\v': true, '\f': true}
	wordByte      = func() (t [256]bool) {
		for c := range 256 {
			t[c] = isWordByte(byte(c))
		}
		return t
	}()
)

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'' }

// conflicting reports whether the lowered answer states two different
// final answers ("#### 12" after "the answer is 15").
func conflicting(low []byte) bool {
	var seen float64
	found := false
	for _, m := range []string{"####", "the answer is", "final answer"} {
		for i := 0; ; {
			k := bytes.Index(low[i:], []byte(m))
			if k < 0 {
				break
			}
			i += k + len(m)
			rest := low[i:]
			if e := bytes.IndexByte(rest, '\n'); e >= 0 {
				rest = rest[:e]
			}
			if n, ok := firstNumber(rest); ok {
				if found && n != seen {
					return true
				}
				seen, found = n, true
			}
		}
	}
	return false
}

// foldDigits replaces each run of digits (with decimal points and thousands
// commas) by one "N", so the n-grams learn how answers are written, not
// which numbers a particular question used.
func foldDigits(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		i = numberEnd(s, i)
		b.WriteByte('N')
	}
	return b.String()
}

// RuleScore is the rule-based cascade the learned verifier is compared
// with: escalate (1) on a hedging or refusal phrase or a missing final
// answer, accept (0) otherwise.
func RuleScore(query, answer string) float64 {
	s := Analyze(query, answer)
	if s.Refusal > 0 || s.Hedges > 0 || !s.HasFinal && !s.FinalMarker {
		return 1
	}
	return 0
}
