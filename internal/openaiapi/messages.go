package openaiapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// wireMessage is a message as sent; content stays raw because it may be a
// string, an array of parts or null.
type wireMessage struct {
	Role       json.RawMessage `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       json.RawMessage `json:"name"`
	ToolCalls  json.RawMessage `json:"tool_calls"`
	ToolCallID json.RawMessage `json:"tool_call_id"`
	// ExtraContent is Gemini's extension object (see ExtraContent).
	ExtraContent json.RawMessage `json:"extra_content"`
	// Refusal, Audio and FunctionCall are what an assistant turn may
	// carry besides content (see parseAssistantExtras).
	Refusal      json.RawMessage `json:"refusal"`
	Audio        json.RawMessage `json:"audio"`
	FunctionCall json.RawMessage `json:"function_call"`
}

func parseMessages(v json.RawMessage) ([]Message, error) {
	if kind(v) != "an array" {
		return nil, invalid("messages", "must be an array of messages, got %s", kind(v))
	}
	raws, ok := splitArray(v)
	if !ok {
		var rm []json.RawMessage
		if err := json.Unmarshal(v, &rm); err != nil {
			return nil, invalid("messages", "%s", jsonErrText(err))
		}
		raws = make([][]byte, len(rm))
		for i := range rm {
			raws[i] = rm[i]
		}
	}
	out := make([]Message, len(raws))
	for i, raw := range raws {
		if err := parseMessage(i, raw, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseMessage(i int, raw json.RawMessage, m *Message) error {
	// The field path is only spelled out for an error message: building it
	// for every field of every message cost more than parsing them.
	path := func() string { return "messages[" + strconv.Itoa(i) + "]" }
	if kind(raw) != "an object" {
		return invalid(path(), "must be an object, got %s", kind(raw))
	}
	var w wireMessage
	if !splitWireMessage(raw, &w) {
		var hw wireMessage // escapes to encoding/json: allocated only here
		if err := json.Unmarshal(raw, &hw); err != nil {
			return invalid(path(), "%s", jsonErrText(err))
		}
		w = hw
	}
	if w.Role == nil {
		return invalid(path()+".role", "is required")
	}
	if err := decodeStringAt(path, ".role", w.Role, &m.Role); err != nil {
		return err
	}
	switch m.Role {
	case "system", "developer", "user", "assistant", "tool":
	case "function":
		return invalid(path()+".role", "function messages belong to the legacy function-calling API, which this gateway does not support; send tool messages (with tool_call_id) instead")
	default:
		return invalid(path()+".role", "must be one of system, developer, user, assistant, tool; got %q", m.Role)
	}
	if w.Name != nil && !isNull(w.Name) {
		if err := decodeStringAt(path, ".name", w.Name, &m.Name); err != nil {
			return err
		}
	}
	if w.ToolCallID != nil && !isNull(w.ToolCallID) {
		if err := decodeStringAt(path, ".tool_call_id", w.ToolCallID, &m.ToolCallID); err != nil {
			return err
		}
	}
	c, parts, err := parseContentAt(path, w.Content)
	if err != nil {
		return err
	}
	m.Content, m.Parts = c, parts
	if parts != nil && m.Role != "user" {
		return invalid(path()+".content", "media parts (images, audio, files) are only allowed on user messages")
	}
	if w.ToolCalls != nil && !isNull(w.ToolCalls) {
		if m.Role != "assistant" {
			return invalid(path()+".tool_calls", "is only allowed on assistant messages")
		}
		if m.ToolCalls, err = parseToolCalls(path()+".tool_calls", w.ToolCalls); err != nil {
			return err
		}
	}
	if m.Role == "assistant" {
		if err := parseAssistantExtras(path, &w, m); err != nil {
			return err
		}
	}
	// Only an assistant turn can carry a thought signature; on other
	// roles the field means nothing to any upstream and stays ignored.
	if m.Role == "assistant" && w.ExtraContent != nil && !isNull(w.ExtraContent) {
		m.ExtraContent = &ExtraContent{}
		if err := decodeObject(path()+".extra_content", w.ExtraContent, m.ExtraContent); err != nil {
			return err
		}
	}
	switch {
	case m.Role == "tool" && m.ToolCallID == "":
		return invalid(path()+".tool_call_id", "is required on tool messages")
	case m.Content == nil && !(m.Role == "assistant" && len(m.ToolCalls) > 0):
		return invalid(path()+".content", "is required on %s messages", m.Role)
	}
	return nil
}

// parseAssistantExtras reads an assistant turn's refusal, audio and
// function_call. A refusal is what the model said in that turn: with no
// content it becomes the turn's text, so every upstream sees it. A
// replayed audio answer or legacy function call is refused by name: this
// gateway never returns either, and dropping one would silently change
// the conversation the model sees.
func parseAssistantExtras(path func() string, w *wireMessage, m *Message) error {
	if w.Audio != nil && !isNull(w.Audio) {
		return invalid(path()+".audio", "audio output is not supported by this gateway, so there is no audio answer to refer to; send the turn's transcript as content")
	}
	if w.FunctionCall != nil && !isNull(w.FunctionCall) {
		return invalid(path()+".function_call", "the legacy function-calling API is not supported by this gateway; send tool_calls instead")
	}
	if w.Refusal == nil || isNull(w.Refusal) {
		return nil
	}
	var refusal string
	if err := decodeStringAt(path, ".refusal", w.Refusal, &refusal); err != nil {
		return err
	}
	if m.Content == nil && refusal != "" {
		m.Content = &refusal
	}
	return nil
}

// decodeStringAt is decodeString for the field path()+suffix, built only
// when the value is not a plain string.
func decodeStringAt(path func() string, suffix string, v json.RawMessage, dst *string) error {
	if s, ok := plainString(v); ok {
		*dst = s
		return nil
	}
	return decodeString(path()+suffix, v, dst)
}

// parseContentAt is parseContent for path()+".content", built only when
// the content is not a string or null.
func parseContentAt(path func() string, v json.RawMessage) (*string, []ContentPart, error) {
	if v == nil || isNull(v) {
		return nil, nil, nil
	}
	if s, ok := plainString(v); ok {
		return &s, nil, nil
	}
	if s, ok := fastString(v); ok {
		return &s, nil, nil
	}
	return parseContent(path()+".content", v)
}

// parseContent accepts a string, null (nil), or an array of content parts.
// Text parts are joined into the returned string, which the router scores;
// the parts themselves are returned only when some carry media, so a
// text-only array costs nothing more downstream.
func parseContent(path string, v json.RawMessage) (*string, []ContentPart, error) {
	if v == nil || isNull(v) {
		return nil, nil, nil
	}
	switch kind(v) {
	case "a string":
		if s, ok := plainString(v); ok {
			return &s, nil, nil
		}
		if s, ok := fastString(v); ok {
			return &s, nil, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, nil, invalid(path, "%s", jsonErrText(err))
		}
		return &s, nil, nil
	case "an array":
	default:
		return nil, nil, invalid(path, "must be a string or an array of content parts, got %s", kind(v))
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(v, &raws); err != nil {
		return nil, nil, invalid(path, "%s", jsonErrText(err))
	}
	var sb strings.Builder
	parts := make([]ContentPart, len(raws))
	media := false
	for i, raw := range raws {
		if err := parseContentPart(fmt.Sprintf("%s[%d]", path, i), raw, &parts[i]); err != nil {
			return nil, nil, err
		}
		sb.WriteString(parts[i].Text)
		media = media || parts[i].Type != "text"
	}
	text := sb.String()
	if !media {
		parts = nil
	}
	return &text, parts, nil
}

func parseContentPart(p string, raw json.RawMessage, out *ContentPart) error {
	if kind(raw) != "an object" {
		return invalid(p, "must be a content part object, got %s", kind(raw))
	}
	var part struct {
		Type       json.RawMessage `json:"type"`
		Text       json.RawMessage `json:"text"`
		Refusal    json.RawMessage `json:"refusal"`
		ImageURL   *ImageURL       `json:"image_url"`
		InputAudio *InputAudio     `json:"input_audio"`
		File       *FilePart       `json:"file"`
	}
	if err := json.Unmarshal(raw, &part); err != nil {
		return invalid(p, "%s", jsonErrText(err))
	}
	if err := decodeString(p+".type", part.Type, &out.Type); err != nil {
		return err
	}
	switch out.Type {
	case "text":
		if part.Text == nil {
			return invalid(p+".text", "is required on text parts")
		}
		return decodeString(p+".text", part.Text, &out.Text)
	case "refusal":
		// What the model said when it declined, replayed in an assistant
		// turn: it is that turn's text, as a message-level refusal is.
		if part.Refusal == nil {
			return invalid(p+".refusal", "is required on refusal parts")
		}
		out.Type = "text"
		return decodeString(p+".refusal", part.Refusal, &out.Text)
	case "image_url":
		if part.ImageURL == nil || part.ImageURL.URL == "" {
			return invalid(p+".image_url.url", "is required on image_url parts")
		}
		if !strings.HasPrefix(part.ImageURL.URL, "data:") && !strings.HasPrefix(part.ImageURL.URL, "https://") {
			return invalid(p+".image_url.url", "must be an https or data: URL")
		}
		out.ImageURL = part.ImageURL
	case "input_audio":
		if part.InputAudio == nil || part.InputAudio.Data == "" || part.InputAudio.Format == "" {
			return invalid(p+".input_audio", "data and format are required on input_audio parts")
		}
		out.InputAudio = part.InputAudio
	case "file":
		if part.File == nil || (part.File.FileData == "" && part.File.FileID == "") {
			return invalid(p+".file", "file_data or file_id is required on file parts")
		}
		out.File = part.File
	default:
		return invalid(p+".type", "content part type %q is not supported (text, refusal, image_url, input_audio, file)", out.Type)
	}
	return nil
}

func parseToolCalls(path string, v json.RawMessage) ([]ToolCall, error) {
	var calls []ToolCall
	if err := json.Unmarshal(v, &calls); err != nil {
		return nil, invalid(path, "must be an array of tool calls: %s", jsonErrText(err))
	}
	for i, c := range calls {
		p := fmt.Sprintf("%s[%d]", path, i)
		if c.Type != "" && c.Type != "function" {
			return nil, invalid(p+".type", "must be \"function\", got %q", c.Type)
		}
		if c.ID == "" {
			return nil, invalid(p+".id", "is required")
		}
		if c.Function.Name == "" {
			return nil, invalid(p+".function.name", "is required")
		}
		calls[i].Index = nil
	}
	return calls, nil
}

func parseTools(v json.RawMessage) ([]Tool, error) {
	var tools []Tool
	if err := json.Unmarshal(v, &tools); err != nil {
		return nil, invalid("tools", "must be an array of tools: %s", jsonErrText(err))
	}
	seen := make(map[string]bool, len(tools))
	for i, t := range tools {
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, invalid(p+".type", "only \"function\" tools are supported, got %q", t.Type)
		}
		if t.Function.Name == "" {
			return nil, invalid(p+".function.name", "is required")
		}
		if seen[t.Function.Name] {
			return nil, invalid(p+".function.name", "duplicate function name %q", t.Function.Name)
		}
		seen[t.Function.Name] = true
		if len(t.Function.Parameters) > 0 && !isNull(t.Function.Parameters) && kind(t.Function.Parameters) != "an object" {
			return nil, invalid(p+".function.parameters", "must be a JSON schema object, got %s", kind(t.Function.Parameters))
		}
	}
	return tools, nil
}

func parseToolChoice(v json.RawMessage) (*ToolChoice, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		switch s {
		case "none", "auto", "required":
			return &ToolChoice{Mode: s}, nil
		}
		return nil, invalid("tool_choice", "must be \"none\", \"auto\", \"required\" or a function object, got %q", s)
	}
	var obj struct {
		Type         string       `json:"type"`
		Function     functionName `json:"function"`
		AllowedTools *struct {
			Mode  string          `json:"mode"`
			Tools []namedFunction `json:"tools"`
		} `json:"allowed_tools"`
	}
	if kind(v) != "an object" || json.Unmarshal(v, &obj) != nil {
		return nil, invalid("tool_choice", "must be a string or a function object, got %s", kind(v))
	}
	if obj.Type == "allowed_tools" && obj.AllowedTools != nil {
		return allowedToolChoiceOf(obj.AllowedTools.Mode, obj.AllowedTools.Tools)
	}
	if obj.Type != "function" || obj.Function.Name == "" {
		return nil, invalid("tool_choice", "object form must be {\"type\":\"function\",\"function\":{\"name\":...}} or {\"type\":\"allowed_tools\",...}")
	}
	return &ToolChoice{Function: obj.Function.Name}, nil
}

// allowedToolChoiceOf checks an allowed_tools choice: a mode and at
// least one function tool, each named once.
func allowedToolChoiceOf(mode string, tools []namedFunction) (*ToolChoice, error) {
	if mode != "auto" && mode != "required" {
		return nil, invalid("tool_choice.allowed_tools.mode", "must be \"auto\" or \"required\", got %q", mode)
	}
	if len(tools) == 0 {
		return nil, invalid("tool_choice.allowed_tools.tools", "must name at least one tool")
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		if t.Type != "function" || t.Function.Name == "" {
			return nil, invalid(fmt.Sprintf("tool_choice.allowed_tools.tools[%d]", i), "must be {\"type\":\"function\",\"function\":{\"name\":...}}")
		}
		names[i] = t.Function.Name
	}
	return &ToolChoice{Mode: mode, Allowed: names}, nil
}
