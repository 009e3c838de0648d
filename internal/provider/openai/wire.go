// Package openai is a thin net/http client for OpenAI-compatible chat
// completions servers (OpenAI, vLLM, Ollama, llama.cpp, OpenRouter). Wire
// types and pure converters are in this file; HTTP is in openai.go.
package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// ChatRequest is the body of POST /chat/completions.
type ChatRequest struct {
	Model       string        `json:"model"`
	Messages    []ChatMessage `json:"messages"`
	Temperature *float64      `json:"temperature,omitempty"`
	TopP        *float64      `json:"top_p,omitempty"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
	// MaxCompletionTokens replaces MaxTokens for OpenAI's reasoning models,
	// which reject max_tokens (see usesMaxCompletionTokens).
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	Tools               []ChatTool      `json:"tools,omitempty"`
	ToolChoice          any             `json:"tool_choice,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
	// Extra holds further top-level fields, sent verbatim after the ones
	// above in key order (see AppendJSON); a key naming a field above is
	// never sent, so the client cannot override what the gateway owns.
	Extra map[string]json.RawMessage `json:"-"`
}

// ResponseFormat is response_format; JSONSchema is the json_schema object.
type ResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// StreamOptions asks for a final usage chunk.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ChatMessage is one message; Content is null on an assistant turn that only
// calls tools.
type ChatMessage struct {
	Role       string     `json:"role,omitempty"`
	Content    *string    `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Name       string     `json:"name,omitempty"`
	// ExtraContent carries a Gemini text signature (see ExtraContent).
	ExtraContent *ExtraContent `json:"extra_content,omitempty"`
}

// ToolCall is a call in a message, or a fragment of one in a stream delta.
type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
	// ExtraContent carries the call's Gemini thought signature.
	ExtraContent *ExtraContent `json:"extra_content,omitempty"`
}

// ExtraContent is how Gemini's OpenAI-compatible endpoint carries thought
// signatures: extra_content.google.thought_signature on a tool call, and
// on the message (or delta) for a signature of the answer's text. It
// wants them back unchanged on the same call or message, and Gemini 3
// rejects function-calling turns whose calls lost them.
type ExtraContent struct {
	Google *GoogleExtra `json:"google,omitempty"`
}

// GoogleExtra is extra_content.google.
type GoogleExtra struct {
	ThoughtSignature string `json:"thought_signature,omitempty"`
}

// Signature returns the thought signature e carries, or "".
func (e *ExtraContent) Signature() string {
	if e == nil || e.Google == nil {
		return ""
	}
	return e.Google.ThoughtSignature
}

func signatureExtra(sig string) *ExtraContent {
	if sig == "" {
		return nil
	}
	return &ExtraContent{Google: &GoogleExtra{ThoughtSignature: sig}}
}

// sendsSignatures reports whether model is a Gemini model, the only
// family whose signatures mean anything and whose OpenAI-compatible
// endpoints (Google's own, Vertex's "google/gemini-...") accept
// extra_content. OpenAI itself refuses unknown message fields, and a
// conversation begun with Gemini may be routed to any model later.
func sendsSignatures(model string) bool {
	return strings.Contains(strings.ToLower(model), "gemini")
}

// FunctionCall names the function and carries its JSON arguments as text.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// ChatTool declares a function tool.
type ChatTool struct {
	Type     string      `json:"type"`
	Function FunctionDef `json:"function"`
}

// FunctionDef is a tool's function declaration.
type FunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// ChatResponse is a completion, or one chunk of a streamed one.
type ChatResponse struct {
	ID      string   `json:"id,omitempty"`
	Object  string   `json:"object,omitempty"`
	Created int64    `json:"created,omitempty"`
	Model   string   `json:"model,omitempty"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
	// Error is set when a server reports an error inside a 200 or a stream.
	Error json.RawMessage `json:"error,omitempty"`
}

// Choice is one answer; Message in completions, Delta in chunks.
type Choice struct {
	Index        int          `json:"index"`
	Message      *ChatMessage `json:"message,omitempty"`
	Delta        *ChatMessage `json:"delta,omitempty"`
	FinishReason string       `json:"finish_reason,omitempty"`
}

// Usage counts tokens; completion_tokens includes reasoning tokens.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// CompletionTokensDetails breaks down completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// ToWire converts a neutral request to the chat completions body. stream
// also asks for a usage chunk.
func ToWire(req *provider.Request, stream bool) (*ChatRequest, error) {
	w := &ChatRequest{Model: req.Model, Temperature: req.Temperature, TopP: req.TopP, Stop: req.Stop,
		Messages: make([]ChatMessage, 0, len(req.Messages)),
		Seed:     req.Seed, PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty,
		ReasoningEffort: req.ReasoningEffort, Extra: req.Extra}
	if rf := req.ResponseFormat; rf != nil {
		w.ResponseFormat = &ResponseFormat{Type: rf.Type, JSONSchema: rf.JSONSchema}
	}
	// Most requests carry no signature: the model is only looked at for one.
	extra := func(sig string) *ExtraContent {
		if sig == "" || !sendsSignatures(req.Model) {
			return nil
		}
		return signatureExtra(sig)
	}
	switch {
	case req.MaxTokens <= 0:
	case usesMaxCompletionTokens(req.Model):
		w.MaxCompletionTokens = req.MaxTokens
	default:
		w.MaxTokens = req.MaxTokens
	}
	// One backing array for every content pointer instead of one
	// allocation per message.
	contents := make([]string, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return nil, apierr.New(apierr.Invalid, "messages[%d]: unknown role %q", i, m.Role)
		}
		contents[i] = m.Content
		cm := ChatMessage{Role: m.Role, Content: &contents[i], ToolCallID: m.ToolCallID, Name: m.Name}
		for j, tc := range m.ToolCalls {
			args := tc.Arguments
			if strings.TrimSpace(args) == "" {
				args = "{}"
			}
			if !json.Valid([]byte(args)) {
				return nil, apierr.New(apierr.Invalid, "messages[%d].tool_calls[%d]: arguments of %q are not valid JSON", i, j, tc.Name)
			}
			cm.ToolCalls = append(cm.ToolCalls, ToolCall{ID: tc.ID, Type: "function",
				Function: FunctionCall{Name: tc.Name, Arguments: args}, ExtraContent: extra(tc.Signature)})
		}
		if m.Role == "assistant" {
			cm.ExtraContent = extra(m.Signature)
		}
		if m.Content == "" && len(cm.ToolCalls) > 0 {
			cm.Content = nil
		}
		w.Messages = append(w.Messages, cm)
	}
	if len(w.Messages) == 0 {
		return nil, apierr.New(apierr.Invalid, "request has no messages")
	}
	for i, t := range req.Tools {
		params := t.Parameters
		if len(bytes.TrimSpace(params)) > 0 && !json.Valid(params) {
			return nil, apierr.New(apierr.Invalid, "tools[%d] %q: parameters are not valid JSON", i, t.Name)
		}
		w.Tools = append(w.Tools, ChatTool{Type: "function", Function: FunctionDef{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	switch req.ToolChoice {
	case "":
	case "auto", "none", "required":
		w.ToolChoice = req.ToolChoice
	default:
		w.ToolChoice = map[string]any{"type": "function", "function": map[string]string{"name": req.ToolChoice}}
	}
	if stream {
		w.Stream = true
		w.StreamOptions = &StreamOptions{IncludeUsage: true}
	}
	return w, nil
}

// usesMaxCompletionTokens reports whether model is one of OpenAI's
// reasoning models (o1, o3, o4-mini, gpt-5...), which reject max_tokens
// with a 400 and take max_completion_tokens, a bound on visible plus
// reasoning tokens. Every other model keeps max_tokens: OpenAI-compatible
// servers (vLLM, Ollama, llama.cpp) read only that one.
func usesMaxCompletionTokens(model string) bool {
	for _, p := range [...]string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// FromWire converts a completion. Without usage, Usage.Missing is set.
func FromWire(w *ChatResponse) (*provider.Response, error) {
	if len(w.Choices) == 0 || w.Choices[0].Message == nil {
		return nil, fmt.Errorf("no choices[0].message")
	}
	c := w.Choices[0]
	out := &provider.Response{Model: w.Model, Signature: c.Message.ExtraContent.Signature()}
	if c.Message.Content != nil {
		out.Text = *c.Message.Content
	}
	for i, tc := range c.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", i)
		}
		out.ToolCalls = append(out.ToolCalls, provider.ToolCall{ID: id, Name: tc.Function.Name, Arguments: tc.Function.Arguments,
			Signature: tc.ExtraContent.Signature()})
	}
	out.FinishReason = FinishReason(c.FinishReason, len(out.ToolCalls) > 0)
	out.Usage = UsageOf(w.Usage)
	return out, nil
}

// FinishReason normalises servers' finish reasons to OpenAI's current set.
func FinishReason(r string, hasCalls bool) string {
	switch r {
	case "function_call", "tool_calls":
		return "tool_calls"
	case "length", "content_filter":
		return r
	}
	// "stop", "eos" (some local servers), or empty: a server that called
	// tools but said "stop" (Ollama does) still ended on tool calls.
	if hasCalls {
		return "tool_calls"
	}
	return "stop"
}

// UsageOf converts usage; reasoning tokens are split out of completion
// tokens so that BilledOutput equals completion_tokens.
func UsageOf(u *Usage) provider.Usage {
	if u == nil {
		return provider.Usage{Missing: true}
	}
	out := provider.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if d := u.CompletionTokensDetails; d != nil && d.ReasoningTokens > 0 && d.ReasoningTokens <= u.CompletionTokens {
		out.ThinkingTokens = d.ReasoningTokens
		out.OutputTokens -= d.ReasoningTokens
	}
	return out.Clamped()
}

// ParseError reads the error bodies OpenAI-compatible servers send:
// {"error":{"message","type","code"}} (OpenAI, OpenRouter, llama.cpp),
// {"error":"text"} (Ollama) and {"object":"error","message","type"} (vLLM).
func ParseError(body []byte) upstream.ErrorDetail {
	var top struct {
		Error   json.RawMessage `json:"error"`
		Object  string          `json:"object"`
		Message string          `json:"message"`
		Type    string          `json:"type"`
	}
	if json.Unmarshal(body, &top) != nil {
		return upstream.ErrorDetail{}
	}
	if len(top.Error) > 0 {
		return errorDetail(top.Error)
	}
	if top.Object == "error" || top.Message != "" {
		return upstream.ErrorDetail{Status: top.Type, Message: top.Message}
	}
	return upstream.ErrorDetail{}
}

// errorDetail decodes the value of an "error" field.
func errorDetail(raw json.RawMessage) upstream.ErrorDetail {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return upstream.ErrorDetail{Message: s}
	}
	var e struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return upstream.ErrorDetail{}
	}
	status := e.Type
	var code string
	if json.Unmarshal(e.Code, &code) == nil && code != "" {
		status = code // more specific, e.g. "invalid_api_key"
	}
	return upstream.ErrorDetail{Status: status, Message: e.Message}
}
