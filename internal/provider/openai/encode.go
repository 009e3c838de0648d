package openai

import (
	"encoding/json"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/provider/openai/wirejson"
)

// AppendJSON appends w as JSON, byte for byte what json.Marshal(w) writes,
// without reflection: the request body is encoded on every call.
func (w *ChatRequest) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"model":`...)
	dst = wirejson.AppendString(dst, w.Model)
	dst = append(dst, `,"messages":`...)
	if w.Messages == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range w.Messages {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = w.Messages[i].appendJSON(dst)
		}
		dst = append(dst, ']')
	}
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
	return append(dst, '}'), nil
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
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	if w.ToolChoice != nil {
		dst = append(dst, `,"tool_choice":`...)
		if s, ok := w.ToolChoice.(string); ok {
			dst = wirejson.AppendString(dst, s)
		} else {
			v, err := json.Marshal(w.ToolChoice)
			if err != nil {
				return nil, err
			}
			dst = append(dst, v...)
		}
	}
	return dst, nil
}

func (m *ChatMessage) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if m.Role != "" {
		dst = append(dst, `"role":`...)
		dst = wirejson.AppendString(dst, m.Role)
		dst = append(dst, ',')
	}
	dst = append(dst, `"content":`...)
	if m.Content == nil {
		dst = append(dst, "null"...)
	} else {
		dst = wirejson.AppendString(dst, *m.Content)
	}
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":[`...)
		for i := range m.ToolCalls {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = m.ToolCalls[i].appendJSON(dst)
		}
		dst = append(dst, ']')
	}
	if m.ToolCallID != "" {
		dst = append(dst, `,"tool_call_id":`...)
		dst = wirejson.AppendString(dst, m.ToolCallID)
	}
	if m.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = wirejson.AppendString(dst, m.Name)
	}
	return append(dst, '}')
}

func (tc *ToolCall) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if tc.Index != nil {
		dst = append(dst, `"index":`...)
		dst = strconv.AppendInt(dst, int64(*tc.Index), 10)
		dst = append(dst, ',')
	}
	if tc.ID != "" {
		dst = append(dst, `"id":`...)
		dst = wirejson.AppendString(dst, tc.ID)
		dst = append(dst, ',')
	}
	if tc.Type != "" {
		dst = append(dst, `"type":`...)
		dst = wirejson.AppendString(dst, tc.Type)
		dst = append(dst, ',')
	}
	dst = append(dst, `"function":{`...)
	if tc.Function.Name != "" {
		dst = append(dst, `"name":`...)
		dst = wirejson.AppendString(dst, tc.Function.Name)
		dst = append(dst, ',')
	}
	dst = append(dst, `"arguments":`...)
	dst = wirejson.AppendString(dst, tc.Function.Arguments)
	return append(dst, "}}"...)
}
