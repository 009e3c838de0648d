package oracle

import (
	"strings"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// keyOf is a call's journal key. Captured items that carry a conversation
// add its digest, so a resume never reuses an answer (or a verdict on
// answers) given to another conversation under the same id; items without
// one keep the key older journals hold.
func keyOf(it dataset.Item, kind, side string) callKey {
	return callKey{it.ID, kind, side, it.ConversationDigest()}
}

// answerMessages is what the models are asked. A benchmark question is sent
// verbatim as one user turn: replay matches recorded prompts exactly, and an
// unadorned question is what the benchmark measures. A captured
// conversation is sent whole: its system and developer turns as system
// turns first, then the user and assistant turns in order. Tool results
// become user turns marked "[tool result]", since the calls they answer
// were not captured, and consecutive turns of one role are joined, as not
// every upstream accepts them apart.
func answerMessages(it dataset.Item) []provider.Message {
	if len(it.Messages) == 0 {
		return []provider.Message{{Role: "user", Content: it.Problem}}
	}
	var sys, turns []provider.Message
	hasUser := false
	for _, m := range it.Messages {
		role, text := m.Role, m.Content
		switch role {
		case "system", "developer":
			sys = append(sys, provider.Message{Role: "system", Content: text})
			continue
		case "tool", "function":
			role, text = "user", "[tool result]\n"+text
		}
		hasUser = hasUser || role == "user"
		if n := len(turns); n > 0 && turns[n-1].Role == role {
			turns[n-1].Content += "\n\n" + text
			continue
		}
		turns = append(turns, provider.Message{Role: role, Content: text})
	}
	if !hasUser {
		// Only system and assistant text was captured: the routed query is
		// the question.
		turns = append(turns, provider.Message{Role: "user", Content: it.Problem})
	}
	return append(sys, turns...)
}

// judgeView is what a no-gold judge is shown: the turns before the
// conversation's last user turn as context, and that turn as the question
// (followed by any turns after it, such as tool results). Without a
// conversation it is the routed query alone.
func judgeView(it dataset.Item) (history []judge.Turn, question string) {
	last := dataset.LastUser(it.Messages)
	if last < 0 {
		return turnsOf(it.Messages), it.Problem
	}
	var b strings.Builder
	b.WriteString(it.Messages[last].Content)
	for _, m := range it.Messages[last+1:] {
		b.WriteString("\n\n[" + m.Role + "] " + m.Content)
	}
	return turnsOf(it.Messages[:last]), b.String()
}

func turnsOf(msgs []dataset.Message) []judge.Turn {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]judge.Turn, len(msgs))
	for i, m := range msgs {
		out[i] = judge.Turn{Role: m.Role, Content: m.Content}
	}
	return out
}
