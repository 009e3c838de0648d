// Package openai is a thin net/http client for OpenAI-compatible chat
// completions servers (OpenAI, vLLM, Ollama, llama.cpp, OpenRouter). The
// wire types and their JSON codec are the gateway's own (package
// openaiapi); the conversions from and to the neutral request are in this
// file, HTTP is in openai.go.
package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// sendsSignatures reports whether model is a Gemini model, the only
// family whose signatures mean anything and whose OpenAI-compatible
// endpoints (Google's own, Vertex's "google/gemini-...") accept
// extra_content. OpenAI itself refuses unknown message fields, and a
// conversation begun with Gemini may be routed to any model later.
func sendsSignatures(model string) bool {
	return strings.Contains(strings.ToLower(model), "gemini")
}

// ToWire converts a neutral request to the chat completions body. stream
// also asks for a usage chunk.
func ToWire(req *provider.Request, stream bool) (*openaiapi.ChatRequest, error) {
	w := &openaiapi.ChatRequest{Model: req.Model, Temperature: req.Temperature, TopP: req.TopP, Stop: req.Stop,
		Messages: make([]openaiapi.Message, 0, len(req.Messages)),
		Seed:     req.Seed, PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty,
		ReasoningEffort: req.ReasoningEffort, Extra: req.Extra, N: req.N, Logprobs: req.Logprobs}
	if req.Logprobs && req.TopLogprobs > 0 {
		w.TopLogprobs = &req.TopLogprobs
	}
	if rf := req.ResponseFormat; rf != nil {
		w.ResponseFormat = &openaiapi.ResponseFormat{Type: rf.Type, JSONSchema: rf.JSONSchema}
	}
	// Most requests carry no signature: the model is only looked at for one.
	extra := func(sig string) *openaiapi.ExtraContent {
		if sig == "" || !sendsSignatures(req.Model) {
			return nil
		}
		return openaiapi.SignatureExtra(sig)
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
		cm := openaiapi.Message{Role: m.Role, Content: &contents[i], ToolCallID: m.ToolCallID, Name: m.Name}
		if m.Parts != nil {
			cm.Parts = openaiapi.PartsFromProvider(m.Parts)
		}
		for j, tc := range m.ToolCalls {
			args := tc.Arguments
			if strings.TrimSpace(args) == "" {
				args = "{}"
			}
			if !json.Valid([]byte(args)) {
				return nil, apierr.New(apierr.Invalid, "messages[%d].tool_calls[%d]: arguments of %q are not valid JSON", i, j, tc.Name)
			}
			cm.ToolCalls = append(cm.ToolCalls, openaiapi.ToolCall{ID: tc.ID, Type: "function",
				Function: openaiapi.FunctionCall{Name: tc.Name, Arguments: args}, ExtraContent: extra(tc.Signature)})
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
		w.Tools = append(w.Tools, openaiapi.Tool{Type: "function", Function: openaiapi.FunctionDecl{Name: t.Name, Description: t.Description,
			Parameters: params, Strict: t.Strict}})
	}
	switch req.ToolChoice {
	case "":
	case "auto", "none", "required":
		w.ToolChoice = &openaiapi.ToolChoice{Mode: req.ToolChoice, Allowed: req.AllowedTools}
	default:
		w.ToolChoice = &openaiapi.ToolChoice{Function: req.ToolChoice}
	}
	if stream {
		w.Stream = true
		w.StreamOptions = &openaiapi.StreamOptions{IncludeUsage: true}
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
func FromWire(w *openaiapi.ChatResponse) (*provider.Response, error) {
	if len(w.Choices) == 0 || w.Choices[0].Message == nil {
		return nil, fmt.Errorf("no choices[0].message")
	}
	first := choiceOf(w.Choices[0])
	out := &provider.Response{Model: w.Model, Signature: first.Signature, Text: first.Text, ToolCalls: first.ToolCalls,
		FinishReason: first.FinishReason, Logprobs: first.Logprobs, Refusal: first.Refusal, Annotations: first.Annotations}
	for _, c := range w.Choices[1:] {
		if c.Message != nil {
			out.Alternatives = append(out.Alternatives, choiceOf(c))
		}
	}
	out.Usage = UsageOf(w.Usage)
	return out, nil
}

// choiceOf converts one choice that has a message.
func choiceOf(c openaiapi.ResponseChoice) provider.Alternative {
	a := provider.Alternative{Signature: c.Message.ExtraContent.Signature(), Logprobs: openaiapi.FromLogprobs(c.Logprobs),
		Refusal: c.Message.Refusal, Annotations: annotations(c.Message.Annotations)}
	if c.Message.Content != nil {
		a.Text = *c.Message.Content
	}
	for i, tc := range c.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", i)
		}
		a.ToolCalls = append(a.ToolCalls, provider.ToolCall{ID: id, Name: tc.Function.Name, Arguments: tc.Function.Arguments,
			Signature: tc.ExtraContent.Signature()})
	}
	a.FinishReason = FinishReason(c.FinishReason, len(a.ToolCalls) > 0)
	return a
}

// annotations keeps a message's annotations when there are some: OpenAI
// sends an empty array on every answer, which says nothing.
func annotations(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" || (len(t) >= 2 && t[0] == '[' && len(bytes.TrimSpace(t[1:len(t)-1])) == 0) {
		return nil
	}
	return raw
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
func UsageOf(u *openaiapi.Usage) provider.Usage {
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
