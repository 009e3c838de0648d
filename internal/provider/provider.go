// Package provider defines the one small interface every LLM upstream
// implements (complete and stream), plus the shared request/response types.
// Implementations live in subpackages: gemini, openai and replay.
package provider

import (
	"context"
	"encoding/json"
	"time"
)

// Message is one chat turn. Role is "system", "user", "assistant" or "tool".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// ToolCalls holds an assistant turn's tool calls, OpenAI-shaped.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID and Name identify the call a "tool" turn answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	Name       string `json:"name,omitempty"`
	// Signature is an assistant turn's opaque text signature, as the
	// upstream returned it in Response.Signature (or the final Chunk's).
	// Send it back unchanged with the same turn; see ToolCall.Signature.
	Signature string `json:"signature,omitempty"`
	// Parts is a user turn's content in order when it holds media; nil
	// for text-only turns, whose text is all in Content. Content holds
	// the text parts joined even when Parts is set.
	Parts []Part `json:"parts,omitempty"`
}

// Part is one piece of a multimodal user turn. Type is "text",
// "image_url", "input_audio" or "file", in OpenAI's vocabulary.
type Part struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// URL is an image's https or data: URL, or a file's data: URL.
	URL    string `json:"url,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Data and Format are input_audio's base64 bytes and "wav"/"mp3".
	Data   string `json:"data,omitempty"`
	Format string `json:"format,omitempty"`
	// FileID and Filename are a file part's other fields.
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Tool is a function the model may call; Parameters is a JSON schema.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	// Strict is OpenAI's strict schema adherence for the call's
	// arguments; nil leaves it to the upstream.
	Strict *bool `json:"strict,omitempty"`
}

// ToolCall is a model's request to call a tool; Arguments is JSON text.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// Signature is an opaque token some upstreams attach to a call (Gemini's
	// thoughtSignature: the model's encrypted reasoning state). A caller that
	// replays the conversation must send it back unchanged on the same call;
	// Gemini 3 rejects function-calling turns without it. Empty for
	// upstreams that have none.
	Signature string `json:"signature,omitempty"`
}

// Request is a provider-neutral chat request.
type Request struct {
	// Model is the upstream model id (e.g. "gemini-2.5-flash").
	Model       string
	Messages    []Message
	Temperature *float64
	TopP        *float64
	MaxTokens   int
	Stop        []string
	Tools       []Tool
	// ToolChoice is "", "auto", "none", "required" or a tool name.
	ToolChoice string
	// AllowedTools, when set, limits the model to these of Tools, with
	// ToolChoice "auto" or "required" (OpenAI's allowed_tools choice).
	AllowedTools []string `json:",omitempty"`

	// The options below are OpenAI chat-completions parameters that some
	// upstreams can honour; zero means the upstream's default. Each
	// provider maps those it has an equivalent for and refuses, with a
	// *ParamError, those whose loss would change the answer materially.
	// Tagged omitempty so records of requests without them keep their shape.

	// Seed asks for reproducible sampling.
	Seed *int64 `json:",omitempty"`
	// PresencePenalty and FrequencyPenalty are OpenAI's, in [-2, 2].
	PresencePenalty  *float64 `json:",omitempty"`
	FrequencyPenalty *float64 `json:",omitempty"`
	// ResponseFormat asks for JSON output; nil means text.
	ResponseFormat *ResponseFormat `json:",omitempty"`
	// ReasoningEffort is OpenAI's reasoning_effort ("none", "minimal",
	// "low", "medium", "high"), passed on as the client spelled it.
	ReasoningEffort string `json:",omitempty"`
	// N asks for that many choices (OpenAI's n, Gemini's candidateCount);
	// 0 or 1 is one. Never set on streams.
	N int `json:",omitempty"`
	// Logprobs asks for each output token's log probability (OpenAI's
	// logprobs, Gemini's responseLogprobs), TopLogprobs for that many
	// alternatives per token too (top_logprobs, Gemini's logprobs).
	Logprobs    bool `json:",omitempty"`
	TopLogprobs int  `json:",omitempty"`
	// Extra holds further OpenAI request fields by name, as JSON values
	// sent verbatim (seed-like vendor knobs such as top_k, logit_bias,
	// user, metadata, parallel_tool_calls...). OpenAI-compatible providers
	// forward them as top-level fields, never overriding a field they set
	// themselves; other providers map or refuse the ones they know and
	// ignore the rest. Callers share the map: treat it as read-only.
	Extra map[string]json.RawMessage `json:",omitempty"`
}

// ResponseFormat is OpenAI's response_format for JSON output.
type ResponseFormat struct {
	// Type is "json_object" (any JSON object) or "json_schema".
	Type string `json:"type"`
	// JSONSchema is OpenAI's json_schema object verbatim: name,
	// description, schema (a JSON Schema) and strict.
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// Usage counts tokens. Thinking tokens are billed as output tokens.
type Usage struct {
	InputTokens    int `json:"input_tokens"`
	OutputTokens   int `json:"output_tokens"`
	ThinkingTokens int `json:"thinking_tokens"`
	// Estimated is true when counts come from a local tokenizer, not the upstream.
	Estimated bool `json:"estimated,omitempty"`
	// Missing is true when the upstream reported no usage at all.
	Missing bool `json:"missing,omitempty"`
}

// BilledOutput is the token count billed at the output price.
func (u Usage) BilledOutput() int { return u.OutputTokens + u.ThinkingTokens }

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		InputTokens:    u.InputTokens + o.InputTokens,
		OutputTokens:   u.OutputTokens + o.OutputTokens,
		ThinkingTokens: u.ThinkingTokens + o.ThinkingTokens,
		Estimated:      u.Estimated || o.Estimated,
		Missing:        u.Missing || o.Missing,
	}
}

// Response is a finished completion.
type Response struct {
	Text         string
	ToolCalls    []ToolCall
	FinishReason string // OpenAI vocabulary: stop, length, tool_calls, content_filter
	Usage        Usage
	Latency      time.Duration
	// Model is the model that answered, as the upstream named it.
	Model string
	// Signature is an opaque signature of the answer's text (Gemini's
	// thoughtSignature on a text part); pass it back as the assistant
	// Message's Signature in later turns. Call signatures are on ToolCalls.
	// Omitted from JSON when empty, so records of other upstreams keep
	// their shape.
	Signature string `json:"Signature,omitempty"`
	// Alternatives are the choices after the first when the request
	// asked for N > 1; Usage covers all of them.
	Alternatives []Alternative `json:",omitempty"`
	// Logprobs has one entry per output token when the request asked
	// for them and the upstream returned them.
	Logprobs []TokenLogprob `json:",omitempty"`
	// Refusal is the model's refusal in place of an answer (OpenAI's
	// structured outputs); Text is then usually empty.
	Refusal string `json:",omitempty"`
	// Annotations is an OpenAI-compatible answer's non-empty annotations
	// array verbatim (web search url_citation entries).
	Annotations json.RawMessage `json:",omitempty"`
}

// TokenLogprob is one output token and its log probability; Top are the
// most likely tokens at its position when the request asked for them.
type TokenLogprob struct {
	Token   string
	Logprob float64
	// Bytes is the token's UTF-8 bytes as the upstream reported them
	// (OpenAI's bytes), nil when it did not.
	Bytes []int          `json:",omitempty"`
	Top   []TokenLogprob `json:",omitempty"`
}

// Alternative is one further choice of a Response.
type Alternative struct {
	Text         string
	ToolCalls    []ToolCall `json:",omitempty"`
	FinishReason string
	Signature    string          `json:",omitempty"`
	Logprobs     []TokenLogprob  `json:",omitempty"`
	Refusal      string          `json:",omitempty"`
	Annotations  json.RawMessage `json:",omitempty"`
}

// Chunk is one piece of a streamed completion. The final chunk carries
// FinishReason and, when the upstream reports it, Usage.
type Chunk struct {
	Text         string
	ToolCalls    []ToolCall
	FinishReason string
	Usage        *Usage
	// Signature is Response.Signature for streams. Upstreams may send it
	// after the text it signs, so providers deliver it on the final chunk.
	Signature string `json:"Signature,omitempty"`
	// Logprobs covers this chunk's text, as Response.Logprobs.
	Logprobs []TokenLogprob `json:",omitempty"`
	// Refusal is a piece of a streamed refusal, as Response.Refusal.
	Refusal string `json:",omitempty"`
}

// Stream yields chunks until Recv returns io.EOF. Close must always be called
// and releases the connection; it is safe to call more than once.
type Stream interface {
	Recv() (Chunk, error)
	Close() error
}

// Provider is an LLM upstream.
type Provider interface {
	Complete(ctx context.Context, req *Request) (*Response, error)
	Stream(ctx context.Context, req *Request) (Stream, error)
}

// Clamped returns u with negative counts set to zero: a misbehaving upstream
// must not be able to lower recorded spend by reporting negative usage.
func (u Usage) Clamped() Usage {
	u.InputTokens = max(u.InputTokens, 0)
	u.OutputTokens = max(u.OutputTokens, 0)
	u.ThinkingTokens = max(u.ThinkingTokens, 0)
	return u
}
