// Package openaiapi is the one OpenAI chat-completions wire schema of the
// project: its types, their JSON encoding and decoding, and pure
// converters between them and provider-neutral requests and responses.
// The gateway parses clients' requests and writes its answers with it; the
// OpenAI-compatible provider (internal/provider/openai) builds its upstream
// requests and reads upstream answers with it. It does no HTTP and imports
// neither of them: the server owns transport, the provider its upstream
// policy, this package owns shape.
//
// Requests are parsed field by field so that every error names the field a
// client got wrong, and fields this gateway does not know are kept verbatim
// in Extra rather than silently dropped.
//
// What happens to each request field:
//   - owned by the gateway: model, messages, stream, stream_options, n,
//     max_tokens/max_completion_tokens (the budget reservation relies on
//     them), tools, tool_choice;
//   - typed, and mapped by the Gemini and OpenAI-compatible providers:
//     temperature, top_p, stop, seed, presence_penalty, frequency_penalty,
//     response_format (text, json_object, json_schema), reasoning_effort,
//     logprobs and top_logprobs (returned in each choice's logprobs);
//   - forwarded verbatim to OpenAI-compatible upstreams: user and every
//     unknown field (top_k, logit_bias, parallel_tool_calls, metadata...);
//     the Gemini provider maps top_k, refuses those that would change the
//     answer (logit_bias, web_search_options, moderation) and ignores the
//     rest;
//   - refused here, since the answer would carry what the gateway drops:
//     audio output, the legacy functions API.
//
// README's Compatibility table lists every field with what each upstream
// receives; internal/server's compatibility probe keeps it true.
//
// Gemini thought signatures travel in the shape of Gemini's own
// OpenAI-compatible endpoint (see ExtraContent).
package openaiapi

import (
	"encoding/json"
)

// ChatRequest is a POST /chat/completions body: what a client sends the
// gateway and what the OpenAI-compatible client sends upstream. Fields are
// in the order the upstream body has always had them.
type ChatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature *float64  `json:"temperature,omitempty"`
	TopP        *float64  `json:"top_p,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	// MaxCompletionTokens is the newer bound; OpenAI's reasoning models
	// accept only it.
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	N                   int             `json:"n,omitempty"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          *ToolChoice     `json:"tool_choice,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
	// Logprobs asks for each output token's log probability, TopLogprobs
	// for that many alternatives per token as well (0 to 20).
	Logprobs    bool `json:"logprobs,omitempty"`
	TopLogprobs *int `json:"top_logprobs,omitempty"`
	// User is the client's end-user id. It is not encoded with the struct:
	// ToProvider forwards it among the pass-through fields, which is where
	// OpenAI-compatible upstreams receive it.
	User string `json:"-"`
	// Extra holds every other top-level field, verbatim. Encoded, it
	// follows the fields above in key order, and a key naming one of
	// them is never sent, so a client cannot override what the gateway
	// owns.
	Extra map[string]json.RawMessage `json:"-"`
}

// StreamOptions is the stream_options object.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one element of messages. Content is nil for null or absent
// content (an assistant turn that only calls tools); a client's array of
// text parts arrives joined into one string.
type Message struct {
	Role       string     `json:"role,omitempty"`
	Content    *string    `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Name       string     `json:"name,omitempty"`
	// ExtraContent carries the text signature of a Gemini answer (see
	// ExtraContent); the gateway reads it on assistant turns only.
	ExtraContent *ExtraContent `json:"extra_content,omitempty"`
	// Refusal is an upstream answer's refusal (OpenAI's structured
	// outputs decline with it instead of content). A client's refusal on
	// an assistant turn is parsed into Content, so requests never set it.
	Refusal string `json:"refusal,omitempty"`
	// Annotations is an upstream answer's annotations array verbatim
	// (web search url_citation entries); requests never set it.
	Annotations json.RawMessage `json:"annotations,omitempty"`
	// Parts is the content array as sent when it holds media (images,
	// audio, files); nil for text-only content, which is all in Content.
	// Content still holds the text parts joined, which is what the router
	// scores. Encoded by ChatRequest.MarshalJSON in place of Content.
	Parts []ContentPart `json:"-"`
}

// Text is the message's content, "" when it has none.
func (m *Message) Text() string {
	if m.Content == nil {
		return ""
	}
	return *m.Content
}

// ContentPart is one element of an array content: "text", "image_url",
// "input_audio" or "file"; the field named by Type is set.
type ContentPart struct {
	Type       string      `json:"type"`
	Text       string      `json:"text,omitempty"`
	ImageURL   *ImageURL   `json:"image_url,omitempty"`
	InputAudio *InputAudio `json:"input_audio,omitempty"`
	File       *FilePart   `json:"file,omitempty"`
}

// ImageURL is an image part: an https URL or a data: URL.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// InputAudio is base64 audio; Format is "wav" or "mp3".
type InputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// FilePart is a file as base64 data URL (FileData) or an upstream file id.
type FilePart struct {
	FileData string `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Tool is one element of tools.
type Tool struct {
	Type     string       `json:"type"`
	Function FunctionDecl `json:"function"`
}

// FunctionDecl declares a callable function. Strict reaches
// OpenAI-compatible upstreams; Gemini has no per-function equivalent.
type FunctionDecl struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolCall is a call in a message, or a fragment of one in a stream
// delta, where Index tells OpenAI clients which call it continues.
type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
	// ExtraContent carries the call's Gemini thought signature.
	ExtraContent *ExtraContent `json:"extra_content,omitempty"`
}

// ExtraContent is the vendor extension object of Gemini's own
// OpenAI-compatible endpoint, whose shape this gateway mirrors so that
// clients written for that endpoint keep working: Gemini's thought
// signatures travel as extra_content.google.thought_signature on tool
// calls and, for an answer's text, on the message (or delta) itself.
// Clients must send them back unchanged on the same call or message;
// Gemini 3 rejects function-calling turns whose calls lost them.
type ExtraContent struct {
	Google *GoogleExtra `json:"google,omitempty"`
}

// GoogleExtra is extra_content.google.
type GoogleExtra struct {
	ThoughtSignature string `json:"thought_signature,omitempty"`
}

// SignatureExtra wraps a thought signature; nil when there is none, so
// that messages without one keep OpenAI's exact shape.
func SignatureExtra(sig string) *ExtraContent {
	if sig == "" {
		return nil
	}
	return &ExtraContent{Google: &GoogleExtra{ThoughtSignature: sig}}
}

// Signature returns the thought signature e carries, or "".
func (e *ExtraContent) Signature() string {
	if e == nil || e.Google == nil {
		return ""
	}
	return e.Google.ThoughtSignature
}

// FunctionCall names the function and carries its JSON arguments as text.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// ToolChoice is "none", "auto", "required", a named function, or an
// allowed_tools choice: Mode "auto" or "required" among the functions
// named in Allowed only.
type ToolChoice struct {
	Mode     string // none, auto, required; empty when Function is set
	Function string
	Allowed  []string
}

// MarshalJSON writes the string or object form.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.Function != "" {
		return json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": t.Function}})
	}
	if t.Allowed != nil {
		tools := make([]namedFunction, len(t.Allowed))
		for i, n := range t.Allowed {
			tools[i] = namedFunction{Type: "function", Function: functionName{Name: n}}
		}
		return json.Marshal(allowedToolChoice{Type: "allowed_tools", AllowedTools: allowedTools{Mode: t.Mode, Tools: tools}})
	}
	return json.Marshal(t.Mode)
}

// allowedToolChoice is tool_choice's allowed_tools form.
type allowedToolChoice struct {
	Type         string       `json:"type"`
	AllowedTools allowedTools `json:"allowed_tools"`
}

type allowedTools struct {
	Mode  string          `json:"mode"`
	Tools []namedFunction `json:"tools"`
}

type namedFunction struct {
	Type     string       `json:"type"`
	Function functionName `json:"function"`
}

type functionName struct {
	Name string `json:"name"`
}

// ResponseFormat is the response_format object: type "text",
// "json_object" or "json_schema" (with JSONSchema, kept verbatim).
type ResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// ChatCompletion is a non-streamed response.
type ChatCompletion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
}

// Choice is one completion choice; the gateway always returns exactly one.
type Choice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     *ChoiceLogprobs `json:"logprobs"`
}

// ChoiceLogprobs is a choice's logprobs object: one entry per output
// token of the content; Refusal is always null here.
type ChoiceLogprobs struct {
	Content []TokenLogprob `json:"content"`
	Refusal []TokenLogprob `json:"refusal"`
}

// TokenLogprob is one output token with its log probability, its UTF-8
// bytes, and the most likely tokens at its position (an empty list
// unless top_logprobs asked for some).
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// TopLogprob is one of the most likely tokens at a position.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// ResponseMessage is the assistant message of a choice. Content is a
// pointer because OpenAI sends null when the model only called tools.
type ResponseMessage struct {
	Role      string     `json:"role"`
	Content   *string    `json:"content"`
	Refusal   *string    `json:"refusal"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Annotations are the upstream's, verbatim (web search citations);
	// omitted when there are none.
	Annotations json.RawMessage `json:"annotations,omitempty"`
	// ExtraContent carries the text's thought signature, if any.
	ExtraContent *ExtraContent `json:"extra_content,omitempty"`
}

// Usage is OpenAI's usage object. CostUSD is this gateway's addition, the
// price-table cost of the call; OpenAI clients ignore unknown fields.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
	CostUSD                 *float64                 `json:"cost_usd,omitempty"`
}

// CompletionTokensDetails splits completion tokens; reasoning tokens are
// included in completion_tokens, as OpenAI does.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// ChatResponse is a completion or one stream chunk as an OpenAI-compatible
// server sends it, read into one shape: a choice carries a message or a
// delta. The gateway's own answers are ChatCompletion and
// ChatCompletionChunk, whose encodings are exact.
type ChatResponse struct {
	ID      string           `json:"id,omitempty"`
	Object  string           `json:"object,omitempty"`
	Created int64            `json:"created,omitempty"`
	Model   string           `json:"model,omitempty"`
	Choices []ResponseChoice `json:"choices"`
	Usage   *Usage           `json:"usage,omitempty"`
	// Error is set when a server reports an error inside a 200 or a stream.
	Error json.RawMessage `json:"error,omitempty"`
}

// ResponseChoice is one answer of a ChatResponse: Message in completions,
// Delta in chunks.
type ResponseChoice struct {
	Index        int      `json:"index"`
	Message      *Message `json:"message,omitempty"`
	Delta        *Message `json:"delta,omitempty"`
	FinishReason string   `json:"finish_reason,omitempty"`
	// Logprobs is set when the request asked for them.
	Logprobs *ChoiceLogprobs `json:"logprobs,omitempty"`
}

// ChatCompletionChunk is one streamed event.
type ChatCompletionChunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []ChunkChoice `json:"choices"`
	Usage   *Usage        `json:"usage,omitempty"`
}

// ChunkChoice is a streamed choice delta.
type ChunkChoice struct {
	Index        int     `json:"index"`
	Delta        Delta   `json:"delta"`
	FinishReason *string `json:"finish_reason"`
	// Logprobs covers the delta's tokens when the request asked for them.
	Logprobs *ChoiceLogprobs `json:"logprobs,omitempty"`
}

// Delta is the incremental part of a streamed message.
type Delta struct {
	Role      string     `json:"role,omitempty"`
	Content   *string    `json:"content,omitempty"`
	Refusal   *string    `json:"refusal,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ExtraContent carries the text's thought signature, which upstreams
	// may only know at the end: it comes with the finish_reason delta.
	ExtraContent *ExtraContent `json:"extra_content,omitempty"`
}

// ErrorBody is OpenAI's error envelope: {"error": {...}}.
type ErrorBody struct {
	Error ErrorObject `json:"error"`
}

// ErrorObject is the error itself. Param and Code are null when unknown.
type ErrorObject struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// ModelList is the GET /v1/models response.
type ModelList struct {
	Object string      `json:"object"`
	Data   []ModelInfo `json:"data"`
}

// ModelInfo is one entry of a model list.
type ModelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}
