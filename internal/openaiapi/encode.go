package openaiapi

import (
	"slices"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/wirejson"
)

// AppendJSON appends c to dst exactly as json.Marshal(c) writes it, without
// reflection: every non-streamed response is encoded by it. It is not a
// MarshalJSON method on purpose: json.Marshal re-scans a Marshaler's
// output byte by byte to compact it, which costs more than the reflection
// it would save.
func (c *ChatCompletion) AppendJSON(dst []byte) ([]byte, error) {
	dst = slices.Grow(dst, c.sizeHint())
	dst = append(dst, `{"id":`...)
	dst = wirejson.AppendString(dst, c.ID)
	dst = append(dst, `,"object":`...)
	dst = wirejson.AppendString(dst, c.Object)
	dst = append(dst, `,"created":`...)
	dst = strconv.AppendInt(dst, c.Created, 10)
	dst = append(dst, `,"model":`...)
	dst = wirejson.AppendString(dst, c.Model)
	dst = append(dst, `,"choices":`...)
	dst = wirejson.AppendArray(dst, c.Choices, (*Choice).appendJSON)
	if c.Usage != nil {
		var err error
		dst = append(dst, `,"usage":`...)
		if dst, err = c.Usage.appendJSON(dst); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// sizeHint is a little over the encoded size, so encoding allocates once.
func (c *ChatCompletion) sizeHint() int {
	n := 320 + len(c.ID) + len(c.Model)
	for _, ch := range c.Choices {
		if ch.Message.Content != nil {
			n += len(*ch.Message.Content) + len(*ch.Message.Content)/16
		}
		for _, tc := range ch.Message.ToolCalls {
			n += 80 + len(tc.ID) + len(tc.Function.Name) + len(tc.Function.Arguments) + len(tc.Function.Arguments)/4
			n += extraSize(tc.ExtraContent)
		}
		n += extraSize(ch.Message.ExtraContent)
	}
	return n
}

func (ch *Choice) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, int64(ch.Index), 10)
	m := &ch.Message
	dst = append(dst, `,"message":{"role":`...)
	dst = wirejson.AppendString(dst, m.Role)
	dst = append(dst, `,"content":`...)
	dst = wirejson.AppendStringPtr(dst, m.Content)
	dst = append(dst, `,"refusal":`...)
	dst = wirejson.AppendStringPtr(dst, m.Refusal)
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":`...)
		dst = wirejson.AppendArray(dst, m.ToolCalls, (*ToolCall).appendJSON)
	}
	if m.ExtraContent != nil {
		dst = append(dst, `,"extra_content":`...)
		dst = m.ExtraContent.appendJSON(dst)
	}
	dst = append(dst, `},"finish_reason":`...)
	dst = wirejson.AppendString(dst, ch.FinishReason)
	if ch.Logprobs == nil {
		return append(dst, `,"logprobs":null}`...)
	}
	return append(dst, `,"logprobs":{}}`...)
}

func (tc *ToolCall) appendJSON(dst []byte) []byte {
	return wirejson.AppendToolCall(dst, tc.Index, tc.ID, tc.Type, tc.Function.Name, tc.Function.Arguments, tc.ExtraContent.wire())
}

func (e *ExtraContent) appendJSON(dst []byte) []byte {
	return wirejson.AppendExtra(dst, e.wire())
}

// wire is e in wirejson's terms; a nil e is absent.
func (e *ExtraContent) wire() wirejson.Extra {
	if e == nil {
		return wirejson.Extra{}
	}
	x := wirejson.Extra{Present: true}
	if e.Google != nil {
		x.Google, x.Signature = true, e.Google.ThoughtSignature
	}
	return x
}

// extraSize bounds e's encoded size: signatures are base64, never escaped.
func extraSize(e *ExtraContent) int {
	if e == nil || e.Google == nil {
		return 0
	}
	return 48 + len(e.Google.ThoughtSignature)
}

func (u *Usage) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.TotalTokens), 10)
	if d := u.CompletionTokensDetails; d != nil {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = strconv.AppendInt(dst, int64(d.ReasoningTokens), 10)
		dst = append(dst, '}')
	}
	if u.CostUSD != nil {
		var err error
		dst = append(dst, `,"cost_usd":`...)
		if dst, err = wirejson.AppendFloat(dst, *u.CostUSD); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}
