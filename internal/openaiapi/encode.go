package openaiapi

import (
	"encoding/json"
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

// MarshalJSON is AppendJSON into a new slice.
func (w *ChatRequest) MarshalJSON() ([]byte, error) { return w.AppendJSON(nil) }

// AppendJSON appends w as JSON without reflection: the known fields byte
// for byte as json.Marshal writes the struct, then the Extra members (see
// appendExtra). The upstream request body is encoded on every call.
func (w *ChatRequest) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"model":`...)
	dst = wirejson.AppendString(dst, w.Model)
	dst = append(dst, `,"messages":`...)
	dst = wirejson.AppendArray(dst, w.Messages, (*Message).appendJSON)
	if w.Temperature != nil {
		dst = append(dst, `,"temperature":`...)
		if dst, err = wirejson.AppendFloat(dst, *w.Temperature); err != nil {
			return nil, err
		}
	}
	if w.TopP != nil {
		dst = append(dst, `,"top_p":`...)
		if dst, err = wirejson.AppendFloat(dst, *w.TopP); err != nil {
			return nil, err
		}
	}
	if w.MaxTokens != 0 {
		dst = append(dst, `,"max_tokens":`...)
		dst = strconv.AppendInt(dst, int64(w.MaxTokens), 10)
	}
	if w.MaxCompletionTokens != 0 {
		dst = append(dst, `,"max_completion_tokens":`...)
		dst = strconv.AppendInt(dst, int64(w.MaxCompletionTokens), 10)
	}
	if len(w.Stop) > 0 {
		dst = append(dst, `,"stop":[`...)
		for i, s := range w.Stop {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = wirejson.AppendString(dst, s)
		}
		dst = append(dst, ']')
	}
	if w.N != 0 {
		dst = append(dst, `,"n":`...)
		dst = strconv.AppendInt(dst, int64(w.N), 10)
	}
	if dst, err = w.appendTools(dst); err != nil {
		return nil, err
	}
	if w.Stream {
		dst = append(dst, `,"stream":true`...)
	}
	if w.StreamOptions != nil {
		dst = append(dst, `,"stream_options":{"include_usage":`...)
		dst = strconv.AppendBool(dst, w.StreamOptions.IncludeUsage)
		dst = append(dst, '}')
	}
	if dst, err = w.appendOptions(dst); err != nil {
		return nil, err
	}
	if len(w.Extra) > 0 {
		if dst, err = w.appendExtra(dst); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendOptions writes the optional sampling and format fields.
func (w *ChatRequest) appendOptions(dst []byte) ([]byte, error) {
	var err error
	if w.Seed != nil {
		dst = append(dst, `,"seed":`...)
		dst = strconv.AppendInt(dst, *w.Seed, 10)
	}
	if w.PresencePenalty != nil {
		dst = append(dst, `,"presence_penalty":`...)
		if dst, err = wirejson.AppendFloat(dst, *w.PresencePenalty); err != nil {
			return nil, err
		}
	}
	if w.FrequencyPenalty != nil {
		dst = append(dst, `,"frequency_penalty":`...)
		if dst, err = wirejson.AppendFloat(dst, *w.FrequencyPenalty); err != nil {
			return nil, err
		}
	}
	if rf := w.ResponseFormat; rf != nil {
		dst = append(dst, `,"response_format":{"type":`...)
		dst = wirejson.AppendString(dst, rf.Type)
		if len(rf.JSONSchema) > 0 {
			// A client's schema: rare, and json.Marshal compacts and
			// escapes it exactly as it would inside the struct.
			js, err := json.Marshal(rf.JSONSchema)
			if err != nil {
				return nil, err
			}
			dst = append(dst, `,"json_schema":`...)
			dst = append(dst, js...)
		}
		dst = append(dst, '}')
	}
	if w.ReasoningEffort != "" {
		dst = append(dst, `,"reasoning_effort":`...)
		dst = wirejson.AppendString(dst, w.ReasoningEffort)
	}
	return dst, nil
}

// ownedFields are the top-level names ChatRequest writes itself; an Extra
// member by one of these names is dropped, whether or not the field is set.
var ownedFields = map[string]bool{
	"model": true, "messages": true, "temperature": true, "top_p": true, "max_tokens": true,
	"max_completion_tokens": true, "stop": true, "n": true, "tools": true, "tool_choice": true, "stream": true,
	"stream_options": true, "seed": true, "presence_penalty": true, "frequency_penalty": true,
	"response_format": true, "reasoning_effort": true,
}

// appendExtra writes the Extra members in key order, each value as
// json.Marshal(json.RawMessage(v)) writes it: compacted, with <, >, &
// and U+2028/U+2029 escaped, and an error for invalid JSON. Values that
// are already compact printable ASCII without those characters (most
// pass-through parameters: numbers, booleans, short ids) are copied as
// they are once validated.
func (w *ChatRequest) appendExtra(dst []byte) ([]byte, error) {
	keys := make([]string, 0, len(w.Extra))
	for k := range w.Extra {
		if !ownedFields[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := w.Extra[k]
		dst = append(dst, ',')
		dst = wirejson.AppendString(dst, k)
		dst = append(dst, ':')
		if verbatim(v) {
			dst = append(dst, v...)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		dst = append(dst, b...)
	}
	return dst, nil
}

// verbatim reports whether json.Marshal would write the raw value v
// unchanged: one valid JSON value of printable ASCII with no whitespace
// (which compacting would drop) and no HTML characters (it escapes them).
func verbatim(v []byte) bool {
	for _, c := range v {
		if c <= ' ' || c > '~' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	end, ok := wirejson.SkipValue(v, 0)
	return ok && end == len(v)
}

// appendTools writes tools and tool_choice. Parameters and a non-string
// tool_choice go through json.Marshal, which compacts and HTML-escapes
// them exactly as it does inside the struct; they are rare and small.
func (w *ChatRequest) appendTools(dst []byte) ([]byte, error) {
	if len(w.Tools) > 0 {
		dst = append(dst, `,"tools":[`...)
		for i, t := range w.Tools {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":`...)
			dst = wirejson.AppendString(dst, t.Type)
			dst = append(dst, `,"function":{"name":`...)
			dst = wirejson.AppendString(dst, t.Function.Name)
			if t.Function.Description != "" {
				dst = append(dst, `,"description":`...)
				dst = wirejson.AppendString(dst, t.Function.Description)
			}
			if len(t.Function.Parameters) > 0 {
				p, err := json.Marshal(t.Function.Parameters)
				if err != nil {
					return nil, err
				}
				dst = append(dst, `,"parameters":`...)
				dst = append(dst, p...)
			}
			if t.Function.Strict != nil {
				dst = append(dst, `,"strict":`...)
				dst = strconv.AppendBool(dst, *t.Function.Strict)
			}
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	if tc := w.ToolChoice; tc != nil {
		dst = append(dst, `,"tool_choice":`...)
		if tc.Function == "" {
			dst = wirejson.AppendString(dst, tc.Mode)
		} else {
			v, err := tc.MarshalJSON()
			if err != nil {
				return nil, err
			}
			dst = append(dst, v...)
		}
	}
	return dst, nil
}

func (m *Message) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if m.Role != "" {
		dst = append(dst, `"role":`...)
		dst = wirejson.AppendString(dst, m.Role)
		dst = append(dst, ',')
	}
	dst = append(dst, `"content":`...)
	dst = wirejson.AppendStringPtr(dst, m.Content)
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":`...)
		dst = wirejson.AppendArray(dst, m.ToolCalls, (*ToolCall).appendJSON)
	}
	if m.ToolCallID != "" {
		dst = append(dst, `,"tool_call_id":`...)
		dst = wirejson.AppendString(dst, m.ToolCallID)
	}
	if m.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = wirejson.AppendString(dst, m.Name)
	}
	if m.ExtraContent != nil {
		dst = append(dst, `,"extra_content":`...)
		dst = m.ExtraContent.appendJSON(dst)
	}
	return append(dst, '}')
}
