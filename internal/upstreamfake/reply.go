package upstreamfake

import (
	"fmt"
	"iter"
	"strings"
	"unicode"
)

// Reply is what an Answerer produces for one request.
type Reply struct {
	Text string
	// ThinkingTokens is reported as thoughtsTokenCount (Gemini) or
	// completion_tokens_details.reasoning_tokens (OpenAI, where it is also
	// included in completion_tokens, as OpenAI bills it).
	ThinkingTokens int
}

// Answerer computes the answer text from a request. It must be
// deterministic and safe for concurrent use.
type Answerer func(req *Request) Reply

// DefaultAnswer echoes the last user message, so answers are deterministic
// and distinguishable per prompt and model.
func DefaultAnswer(req *Request) Reply {
	return Reply{Text: fmt.Sprintf("Answer from %s: %s", req.Model, req.LastUser())}
}

// Usage is a token count as the fake reported it.
type Usage struct {
	Input    int64
	Output   int64
	Thinking int64
}

// Total is all tokens, thinking included.
func (u Usage) Total() int64 { return u.Input + u.Output + u.Thinking }

func (u Usage) add(o Usage) Usage {
	return Usage{u.Input + o.Input, u.Output + o.Output, u.Thinking + o.Thinking}
}

// ExpectedUsage is the usage the fake reports for req answered with rep
// (before any max-token cut), so tests can assert exact spend.
func ExpectedUsage(req *Request, rep Reply) Usage {
	return Usage{Input: int64(req.InputTokens()), Output: int64(CountTokens(rep.Text)), Thinking: int64(rep.ThinkingTokens)}
}

const (
	enormousUnit     = "lorem "
	enormousPiece    = 6 * 5461 // 32 KiB of whole units per stream event
	defaultEnormous  = 64 << 20
	finishStop       = "stop"
	finishLength     = "length"
	textPlaceholder  = "@@UPSTREAMFAKE_TEXT@@"
	defaultChunkWord = 3
)

// reply is a rendered answer, ready for either protocol's encoder.
type reply struct {
	id      string
	model   string
	created int64
	text    string
	size    int64 // > 0: enormous, text is generated lazily
	chunkW  int
	usage   Usage
	finish  string
	noUsage bool
	// n is the number of choices: each is the same text, billed n times.
	n int
}

// cutWords returns s up to the end of its n-th word, and whether it cut.
func cutWords(s string, n int) (string, bool) {
	words, in := 0, false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if in && sp {
			words++
			if words == n {
				return s[:i], true
			}
		}
		in = !sp
	}
	return s, false
}

// splitWords cuts s into pieces of k words each; the pieces concatenate to s.
func splitWords(s string, k int) []string {
	var out []string
	start, words, in := 0, 0, false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if !sp && !in {
			if words > 0 && words%k == 0 {
				out = append(out, s[start:i])
				start = i
			}
			words++
		}
		in = !sp
	}
	return append(out, s[start:])
}

func (rp *reply) numPieces() int {
	if rp.size > 0 {
		return int((rp.size + enormousPiece - 1) / enormousPiece)
	}
	return len(splitWords(rp.text, rp.chunkW))
}

// pieces yields the answer text in stream-event-sized pieces.
func (rp *reply) pieces() iter.Seq[string] {
	if rp.size == 0 {
		return func(yield func(string) bool) {
			for _, p := range splitWords(rp.text, rp.chunkW) {
				if !yield(p) {
					return
				}
			}
		}
	}
	return func(yield func(string) bool) {
		buf := strings.Repeat(enormousUnit, enormousPiece/len(enormousUnit))
		for left := rp.size; left > 0; left -= enormousPiece {
			if !yield(buf[:min(left, enormousPiece)]) {
				return
			}
		}
	}
}

// enormousWords counts the words in size bytes of repeated enormousUnit.
func enormousWords(size int64) int64 {
	n := size / int64(len(enormousUnit))
	if size%int64(len(enormousUnit)) > 0 {
		n++
	}
	return n
}

func (s *Server) buildReply(req *Request, f Fault, index int) *reply {
	rp := &reply{
		id:      fmt.Sprintf("fake-%06d", index),
		model:   req.Model,
		created: 1735689600 + int64(index),
		chunkW:  s.cfg.chunkWords,
		finish:  finishStop,
		noUsage: f.Kind == NoUsage,
	}
	rp.usage.Input = int64(req.InputTokens())
	if f.Kind == Enormous {
		rp.size = f.Size
		if rp.size <= 0 {
			rp.size = defaultEnormous
		}
		rp.usage.Output = enormousWords(rp.size)
		return rp
	}
	ans := s.cfg.answer(req)
	rp.text = ans.Text
	if req.MaxTokens > 0 {
		if cut, ok := cutWords(rp.text, req.MaxTokens); ok {
			rp.text, rp.finish = cut, finishLength
		}
	}
	rp.n = max(req.N, 1)
	rp.usage.Output = int64(CountTokens(rp.text) * rp.n)
	rp.usage.Thinking = int64(ans.ThinkingTokens)
	return rp
}
