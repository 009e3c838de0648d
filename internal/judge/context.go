package judge

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Turn is one earlier turn of the conversation a question was asked in,
// shown to a judge as context. Role is a chat role ("system", "user",
// "assistant", "tool"…), never a model name.
type Turn struct {
	Role    string
	Content string
}

// The judge sees at most the last MaxContextTurns earlier turns and at most
// MaxContextChars characters of them, so a long conversation cannot blow
// the prompt (and the judge bill) up. The most recent turns are kept: a
// follow-up depends on what came just before it. A cut is marked.
const (
	MaxContextTurns = 8
	MaxContextChars = 6000
)

// contextOmitted marks turns left out of the context; contextCut starts a
// turn whose beginning was cut.
const (
	contextOmitted = "[%d earlier turns omitted]"
	contextCut     = "[…] "
)

// BoundContext keeps the most recent turns that fit the limits. A turn
// that alone passes MaxContextChars keeps its last MaxContextChars
// characters. omitted counts the turns left out entirely; cut says whether
// the oldest kept turn lost its beginning.
func BoundContext(turns []Turn) (kept []Turn, omitted int, cut bool) {
	start := max(0, len(turns)-MaxContextTurns)
	budget := MaxContextChars
	i := len(turns)
	for i > start {
		n := utf8.RuneCountInString(turns[i-1].Content)
		if n > budget {
			if i == len(turns) {
				// Not even the latest turn fits: keep its end.
				t := turns[i-1]
				t.Content = lastRunes(t.Content, budget)
				return []Turn{t}, len(turns) - 1, true
			}
			break
		}
		budget -= n
		i--
	}
	return turns[i:], i, false
}

func lastRunes(s string, n int) string {
	count := 0
	for i := len(s); i > 0; {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		count++
		if count == n {
			return s[i:]
		}
	}
	return s
}

// ContextBlock renders the bounded turns, clearly delimited, for a judge
// prompt; "" without turns.
func ContextBlock(turns []Turn) string {
	if len(turns) == 0 {
		return ""
	}
	kept, omitted, cut := BoundContext(turns)
	var b strings.Builder
	b.WriteString("Earlier turns of the conversation, for context only (the answers reply to the final question below, not to these):\n<<<CONTEXT\n")
	if omitted > 0 {
		fmt.Fprintf(&b, contextOmitted+"\n", omitted)
	}
	for i, t := range kept {
		b.WriteString("[" + t.Role + "] ")
		if i == 0 && cut {
			b.WriteString(contextCut)
		}
		b.WriteString(delimiters.Replace(t.Content))
		b.WriteByte('\n')
	}
	b.WriteString("CONTEXT>>>\n\nFinal question:\n")
	return b.String()
}

// delimiters keeps a turn from closing the context block early: a pasted
// "CONTEXT>>>" would make what follows it read as the final question.
var delimiters = strings.NewReplacer("<<<CONTEXT", "<<< CONTEXT", "CONTEXT>>>", "CONTEXT >>>")

// withContext prefixes question with the conversation's context, if any;
// without it the question is returned unchanged, so prompts for
// single-turn questions keep their bytes.
func withContext(history []Turn, question string) string {
	return ContextBlock(history) + question
}
