package gemini

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// Gemini's thinking models attach a thoughtSignature (the model's encrypted
// reasoning state) to response parts: to the first function call of each
// step, and otherwise to the last part of the answer, which in streams may
// be a part with empty text. The API wants each signature back unchanged on
// the part it came with, and Gemini 3 rejects a function-calling step of the
// current turn whose first call is unsigned. See
// https://ai.google.dev/gemini-api/docs/thought-signatures.

// answer accumulates one candidate's parts, from a whole response or from
// the events of a stream, keeping the thought signatures Gemini attaches to
// parts so that callers can send them back (the API requires them unchanged
// on the same part; Gemini 3 rejects function-calling steps without them).
type answer struct {
	text  strings.Builder
	calls []provider.ToolCall
	// sig is the last signature seen on a part with answer text. loose is
	// the last one seen on a part with no answer text and no call: an empty
	// text part, as streams send to close a turn, or a thought summary.
	sig, loose string
}

// add takes in parts and returns the answer text they added. Thought
// summaries are not answer text.
func (a *answer) add(parts []Part) string {
	start := a.text.Len()
	for _, p := range parts {
		switch {
		case p.FunctionCall != nil:
			a.calls = append(a.calls, toolCall(p, len(a.calls)))
		case p.Text != "" && !p.Thought:
			a.text.WriteString(p.Text)
			if p.ThoughtSignature != "" {
				a.sig = p.ThoughtSignature
			}
		case p.ThoughtSignature != "":
			a.loose = p.ThoughtSignature
		}
	}
	return a.text.String()[start:]
}

// finish returns the text signature and the calls. A loose signature goes
// to the first call when that has none: Gemini signs a function-calling
// step on its first call, but may stream the signature in a later
// signature-only part, and on the way back only a call part can hold it
// (an empty part is not a valid request part). Otherwise it signs the text.
func (a *answer) finish() (string, []provider.ToolCall) {
	sig := a.sig
	if a.loose != "" {
		if len(a.calls) > 0 && a.calls[0].Signature == "" {
			a.calls[0].Signature = a.loose
		} else if sig == "" {
			sig = a.loose
		}
	}
	return sig, a.calls
}

// toolCall converts a functionCall part; n numbers a synthesized id.
func toolCall(p Part, n int) provider.ToolCall {
	id := p.FunctionCall.ID
	if id == "" {
		id = fmt.Sprintf("call_%d", n)
	}
	args := "{}"
	if len(bytes.TrimSpace(p.FunctionCall.Args)) > 0 {
		args = string(compact(string(p.FunctionCall.Args)))
	}
	return provider.ToolCall{ID: id, Name: p.FunctionCall.Name, Arguments: args, Signature: p.ThoughtSignature}
}

// PlaceholderSignature is the value Gemini's documentation gives for
// function calls the model did not sign itself (history from another model
// or provider, or from a client that dropped the signatures): it passes
// Gemini 3's check, at some cost in answer quality, where an unsigned call
// is rejected with 400 INVALID_ARGUMENT.
const PlaceholderSignature = "skip_thought_signature_validator"

// signCurrentTurn gives the first call of each function-calling step of the
// current turn PlaceholderSignature when it has no signature, for models
// that require one, and returns how many it filled. The current turn starts
// after the last user turn with content other than function responses;
// Gemini validates no earlier turn, so those are sent as they are.
func (w *GenerateContentRequest) signCurrentTurn(model string) int {
	if !requiresCallSignatures(model) {
		return 0
	}
	start := 0
	for i := len(w.Contents) - 1; i >= 0; i-- {
		if c := w.Contents[i]; c.Role == "user" && !onlyFunctionResponses(c.Parts) {
			start = i + 1
			break
		}
	}
	n := 0
	for i := start; i < len(w.Contents); i++ {
		c := &w.Contents[i]
		if c.Role != "model" {
			continue
		}
		for j := range c.Parts {
			if p := &c.Parts[j]; p.FunctionCall != nil {
				if p.ThoughtSignature == "" {
					p.ThoughtSignature = PlaceholderSignature
					n++
				}
				break
			}
		}
	}
	return n
}

func onlyFunctionResponses(parts []Part) bool {
	for _, p := range parts {
		if p.FunctionResponse == nil {
			return false
		}
	}
	return len(parts) > 0
}

// requiresCallSignatures reports whether model validates function-call
// signatures: Gemini 3 and later. Gemini 1.x and 2.x do not, and other
// families served by the same API (Gemma) have no thinking signatures.
func requiresCallSignatures(model string) bool {
	m := strings.TrimPrefix(model, "models/")
	rest, ok := strings.CutPrefix(m, "gemini-")
	if !ok {
		return false
	}
	switch rest {
	case "pro", "pro-vision", "ultra": // Gemini 1.0's names
		return false
	}
	return !strings.HasPrefix(rest, "1.") && !strings.HasPrefix(rest, "2.")
}
