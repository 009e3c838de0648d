// Package dataset loads, converts, embeds and splits benchmarks. Every stage
// of the pipeline exchanges plain JSONL so users can inspect and edit it.
package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Item is one benchmark question, the row format of simpleqa.jsonl, the
// recorded benchmarks and the split files.
type Item struct {
	ID      string `json:"id"`
	Problem string `json:"problem"`
	// Answer is the gold target. It may be empty for recorded items whose
	// gold is unknown (MMLU); those are graded from recorded outcomes.
	Answer     string   `json:"answer"`
	Topic      string   `json:"topic,omitempty"`
	AnswerType string   `json:"answer_type,omitempty"`
	URLs       []string `json:"urls,omitempty"`
	// Benchmark is "simpleqa", "mmlu", "gsm8k" or "custom".
	Benchmark string `json:"benchmark,omitempty"`
	// Messages is the conversation a captured question was asked in, in
	// order, when it held more than the routed turn. The oracle answers and
	// judges it whole, while the router still learns from Problem (what the
	// gateway scores). Empty for benchmarks, so their files keep their bytes.
	Messages []Message `json:"messages,omitempty"`
}

// Message is one turn of a conversation, text only (media parts are
// placeholders like "[image]"). Role is one of Roles.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Roles a conversation turn may have: the chat-completions roles the
// gateway accepts.
var Roles = []string{"system", "developer", "user", "assistant", "tool", "function"}

func knownRole(r string) bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// ConversationDigest identifies the conversation an item's calls answer:
// "" without messages, else a hash of the routed text and every turn. The
// oracle journal keys calls on it, so a resume never reuses an answer
// given to a different conversation under the same id.
func (it Item) ConversationDigest() string {
	if len(it.Messages) == 0 {
		return ""
	}
	h := sha256.New()
	// Length prefixes keep the encoding unambiguous whatever the text holds.
	field := func(s string) {
		h.Write(binary.AppendUvarint(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	field(it.Problem)
	for _, m := range it.Messages {
		field(m.Role)
		field(m.Content)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// LastUser is the index of the conversation's last user turn with text,
// or -1.
func LastUser(msgs []Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" && msgs[i].Content != "" {
			return i
		}
	}
	return -1
}
