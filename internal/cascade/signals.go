package cascade

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/llmrouter/llmrouter/internal/dataset"
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
	var qbuf, abuf [32]string
	qnums := appendNumbers(qbuf[:0], query)
	anums := appendNumbers(abuf[:0], answer)
	s.DistinctNumbers = len(anums)
	if len(qnums) > 0 {
		used := 0
		for _, n := range qnums {
			if slices.Contains(anums, n) {
				used++
			}
		}
		s.QueryNumbersUsed = float64(used) / float64(len(qnums))
	}
	if f, ok := dataset.FinalNumber(answer); ok {
		s.HasFinal = true
		if v, err := strconv.ParseFloat(f, 64); err == nil {
			s.FinalFraction = v != math.Trunc(v)
			s.FinalNegative = v < 0
			s.FinalIsLastResult = s.Arith.Equations > 0 && close(s.Arith.LastValue, v)
		}
		s.FinalInQuery = slices.Contains(qnums, f)
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

// scanPhrases counts the hedging, refusal and self-correction phrases that
// start at a word of low into s, and returns the whitespace-separated word
// count.
func scanPhrases(low []byte, s *Signals) int {
	words, inField := 0, false
	for i := 0; i < len(low); i++ {
		c := low[i]
		space := c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
		if !space && !inField {
			words++
		}
		inField = !space
		if !isWordByte(c) || i > 0 && isWordByte(low[i-1]) {
			continue
		}
		end := i
		for end < len(low) && isWordByte(low[end]) {
			end++
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
	return words
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'' }

// appendNumbers appends the distinct numbers in s to dst in canonical
// form ("1,000.50" → "1000.5"), the form dataset.FinalNumber returns.
func appendNumbers(dst []string, s string) []string {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := numberEnd(s, i)
		if n := canonical(s[i:j]); !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
		i = j
	}
	return dst
}

// numberEnd is the end of the number starting at i: digits with decimal
// points and thousands commas between digits.
func numberEnd(s string, i int) int {
	for i < len(s) && (isDigit(s[i]) || (s[i] == '.' || s[i] == ',') && i+1 < len(s) && isDigit(s[i+1])) {
		i++
	}
	return i
}

// firstNumber is the first number in s, canonical.
func firstNumber(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return canonical(s[i:numberEnd(s, i)]), true
		}
	}
	return "", false
}

func canonical(n string) string {
	n = strings.ReplaceAll(n, ",", "")
	if strings.Contains(n, ".") {
		n = strings.TrimRight(strings.TrimRight(n, "0"), ".")
	}
	if n == "" {
		return "0"
	}
	return n
}

// conflicting reports whether the lowered answer states two different
// final answers ("#### 12" after "the answer is 15").
func conflicting(low []byte) bool {
	var seen string
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
			if n, ok := firstNumber(string(rest)); ok {
				if seen != "" && n != seen {
					return true
				}
				seen = n
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
