package openaiapi

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// ToProvider converts a validated request into a provider-neutral one for
// upstreamModel. Features the neutral request cannot carry are refused with
// a 400 naming the field, never dropped: a client asking for JSON mode and
// getting prose would be a silent bug. Fields without a typed place go to
// Request.Extra for OpenAI-compatible upstreams; each provider refuses
// what it cannot honour (see provider.ParamError).
func ToProvider(r *ChatRequest, upstreamModel string) (*provider.Request, error) {
	rf, err := responseFormat(r.ResponseFormat)
	if err != nil {
		return nil, err
	}
	out := &provider.Request{
		Model:            upstreamModel,
		Messages:         make([]provider.Message, len(r.Messages)),
		Temperature:      r.Temperature,
		TopP:             r.TopP,
		MaxTokens:        r.MaxOutputTokens(),
		Stop:             r.Stop,
		Seed:             r.Seed,
		PresencePenalty:  r.PresencePenalty,
		FrequencyPenalty: r.FrequencyPenalty,
		ResponseFormat:   rf,
		ReasoningEffort:  r.ReasoningEffort,
		Logprobs:         r.Logprobs,
		Extra:            passThrough(r),
	}
	if r.Logprobs && r.TopLogprobs != nil {
		out.TopLogprobs = *r.TopLogprobs
	}
	if r.N > 1 { // n=1 stays unset, so records of plain requests keep their shape
		out.N = r.N
	}
	for i, m := range r.Messages {
		pm := provider.Message{Role: m.Role, Content: m.Text(), Name: m.Name, ToolCallID: m.ToolCallID,
			Signature: m.ExtraContent.Signature()}
		if m.Role == "developer" {
			pm.Role = "system" // OpenAI's newer name for the same thing
		}
		if m.Parts != nil {
			pm.Parts = PartsToProvider(m.Parts)
		}
		if len(m.ToolCalls) > 0 {
			pm.ToolCalls = make([]provider.ToolCall, len(m.ToolCalls))
			for j, c := range m.ToolCalls {
				pm.ToolCalls[j] = provider.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments,
					Signature: c.ExtraContent.Signature()}
			}
		}
		out.Messages[i] = pm
	}
	if len(r.Tools) > 0 {
		out.Tools = make([]provider.Tool, len(r.Tools))
		for i, t := range r.Tools {
			out.Tools[i] = provider.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters,
				Strict: t.Function.Strict}
		}
	}
	if tc := r.ToolChoice; tc != nil {
		out.ToolChoice, out.AllowedTools = tc.Mode, tc.Allowed
		if tc.Function != "" {
			out.ToolChoice = tc.Function
		}
	}
	return out, nil
}

// responseFormat converts response_format; nil for text.
func responseFormat(rf *ResponseFormat) (*provider.ResponseFormat, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case "", "text":
		return nil, nil
	case "json_object":
		return &provider.ResponseFormat{Type: rf.Type}, nil
	case "json_schema":
		if len(rf.JSONSchema) == 0 || isNull(rf.JSONSchema) {
			return nil, invalid("response_format.json_schema", "is required when type is \"json_schema\"")
		}
		if k := kind(rf.JSONSchema); k != "an object" {
			return nil, invalid("response_format.json_schema", "must be an object, got %s", k)
		}
		var js struct {
			Schema json.RawMessage `json:"schema"`
		}
		if err := json.Unmarshal(rf.JSONSchema, &js); err != nil {
			return nil, invalid("response_format.json_schema", "%s", jsonErrText(err))
		}
		if len(js.Schema) > 0 && !isNull(js.Schema) && kind(js.Schema) != "an object" {
			return nil, invalid("response_format.json_schema.schema", "must be a JSON schema object, got %s", kind(js.Schema))
		}
		return &provider.ResponseFormat{Type: rf.Type, JSONSchema: rf.JSONSchema}, nil
	}
	return nil, invalid("response_format.type", "must be \"text\", \"json_object\" or \"json_schema\", got %q", rf.Type)
}

// passThrough is what an OpenAI-compatible upstream gets verbatim: every
// unknown field, plus user, which the gateway parses but has no typed
// place for. The common request has neither and allocates nothing.
func passThrough(r *ChatRequest) map[string]json.RawMessage {
	if r.User == "" {
		return r.Extra // shared: providers only read it
	}
	out := make(map[string]json.RawMessage, len(r.Extra)+1)
	for k, v := range r.Extra {
		out[k] = v
	}
	user, _ := json.Marshal(r.User) // a string cannot fail
	out["user"] = user
	return out
}

// LastUserText is the text of the last user message, the default input to
// the router; "" when there is none.
func LastUserText(r *ChatRequest) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Text()
		}
	}
	return ""
}

// ConversationText joins every system, user and assistant turn, one per
// line with its role, for routers told to score the whole conversation.
func ConversationText(r *ChatRequest) string {
	var sb strings.Builder
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Text() == "" || m.Role == "tool" {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(m.Role)
		sb.WriteString(": ")
		sb.WriteString(m.Text())
	}
	return sb.String()
}

// PromptBytes is the size of everything the upstream will tokenize, used
// to bound the prompt's token count before the call.
func PromptBytes(r *ChatRequest) int {
	n := 0
	for i := range r.Messages {
		m := &r.Messages[i]
		n += len(m.Text()) + len(m.Name)
		for _, c := range m.ToolCalls {
			n += len(c.Function.Name) + len(c.Function.Arguments)
		}
	}
	for _, t := range r.Tools {
		n += len(t.Function.Name) + len(t.Function.Description) + len(t.Function.Parameters)
	}
	return n
}

// ToUsage converts a provider usage. Reasoning tokens are part of
// completion_tokens, as in OpenAI's own responses. cost may be nil.
func ToUsage(u provider.Usage, cost *float64) *Usage {
	out := &Usage{
		PromptTokens:     u.InputTokens,
		CompletionTokens: u.BilledOutput(),
		CostUSD:          cost,
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	if u.ThinkingTokens > 0 {
		out.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: u.ThinkingTokens}
	}
	return out
}

// FromResponse builds the non-streamed response; model is the name the
// client should see (the gateway's catalogue name).
func FromResponse(id, model string, created int64, resp *provider.Response, cost *float64) *ChatCompletion {
	choices := make([]Choice, 1+len(resp.Alternatives))
	choices[0] = choiceOf(0, &provider.Alternative{Text: resp.Text, ToolCalls: resp.ToolCalls, FinishReason: resp.FinishReason,
		Signature: resp.Signature, Logprobs: resp.Logprobs, Refusal: resp.Refusal, Annotations: resp.Annotations})
	for i := range resp.Alternatives {
		choices[i+1] = choiceOf(i+1, &resp.Alternatives[i])
	}
	return &ChatCompletion{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   model,
		Choices: choices,
		Usage:   ToUsage(resp.Usage, cost),
	}
}

// choiceOf is choice i of a completion: one of the upstream's answers.
func choiceOf(i int, a *provider.Alternative) Choice {
	msg := ResponseMessage{Role: "assistant"}
	if a.Text != "" || (len(a.ToolCalls) == 0 && a.Refusal == "") {
		text := a.Text
		msg.Content = &text
	}
	if a.Refusal != "" {
		refusal := a.Refusal
		msg.Refusal = &refusal
	}
	msg.Annotations = a.Annotations
	msg.ToolCalls = toToolCalls(a.ToolCalls, false, 0)
	msg.ExtraContent = SignatureExtra(a.Signature)
	finish := a.FinishReason
	if finish == "" {
		finish = "stop"
	}
	return Choice{Index: i, Message: msg, FinishReason: finish, Logprobs: ToLogprobs(a.Logprobs)}
}

// ToLogprobs converts neutral log probabilities to a choice's logprobs
// object; nil for none, which encodes as OpenAI's null.
func ToLogprobs(in []provider.TokenLogprob) *ChoiceLogprobs {
	if len(in) == 0 {
		return nil
	}
	out := &ChoiceLogprobs{Content: make([]TokenLogprob, len(in))}
	for i, t := range in {
		top := make([]TopLogprob, len(t.Top))
		for j, a := range t.Top {
			top[j] = TopLogprob{Token: a.Token, Logprob: a.Logprob, Bytes: tokenBytes(a)}
		}
		out.Content[i] = TokenLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: tokenBytes(t), TopLogprobs: top}
	}
	return out
}

// tokenBytes is the token's bytes as reported, else its UTF-8 encoding,
// which is what OpenAI reports for a token that is valid text.
func tokenBytes(t provider.TokenLogprob) []int {
	if t.Bytes != nil {
		return t.Bytes
	}
	b := make([]int, len(t.Token))
	for i := 0; i < len(t.Token); i++ {
		b[i] = int(t.Token[i])
	}
	return b
}

// FromLogprobs converts an upstream choice's logprobs to neutral ones.
func FromLogprobs(in *ChoiceLogprobs) []provider.TokenLogprob {
	if in == nil || len(in.Content) == 0 {
		return nil
	}
	out := make([]provider.TokenLogprob, len(in.Content))
	for i, t := range in.Content {
		out[i] = provider.TokenLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: t.Bytes}
		if len(t.TopLogprobs) > 0 {
			out[i].Top = make([]provider.TokenLogprob, len(t.TopLogprobs))
			for j, a := range t.TopLogprobs {
				out[i].Top[j] = provider.TokenLogprob{Token: a.Token, Logprob: a.Logprob, Bytes: a.Bytes}
			}
		}
	}
	return out
}

func toToolCalls(calls []provider.ToolCall, indexed bool, first int) []ToolCall {
	if len(calls) == 0 {
		return nil
	}
	out := make([]ToolCall, len(calls))
	for i, c := range calls {
		out[i] = ToolCall{ID: c.ID, Type: "function", Function: FunctionCall{Name: c.Name, Arguments: c.Arguments},
			ExtraContent: SignatureExtra(c.Signature)}
		if indexed {
			idx := first + i
			out[i].Index = &idx
		}
	}
	return out
}

// ChunkEncoder turns provider chunks into OpenAI chunk objects for one
// stream, tracking what OpenAI clients expect across chunks: the role on
// the first delta and a stable index per tool call.
type ChunkEncoder struct {
	ID      string
	Model   string
	Created int64

	started   bool
	toolIndex map[string]int
	nextTool  int
}

func (e *ChunkEncoder) base() ChatCompletionChunk {
	return ChatCompletionChunk{ID: e.ID, Object: "chat.completion.chunk", Created: e.Created, Model: e.Model}
}

// Chunk converts one provider chunk. The usage of the final provider chunk
// is not included: OpenAI sends usage in a separate, choice-less chunk
// (see UsageChunk), and only when the client asked for it.
func (e *ChunkEncoder) Chunk(c provider.Chunk) ChatCompletionChunk {
	out := e.base()
	d := Delta{}
	if !e.started {
		d.Role = "assistant"
		e.started = true
	}
	if c.Text != "" || (d.Role != "" && len(c.ToolCalls) == 0 && c.Refusal == "") {
		text := c.Text
		d.Content = &text
	}
	if c.Refusal != "" {
		refusal := c.Refusal
		d.Refusal = &refusal
	}
	if len(c.ToolCalls) > 0 {
		d.ToolCalls = make([]ToolCall, len(c.ToolCalls))
		for i, tc := range c.ToolCalls {
			idx := e.indexOf(tc.ID)
			d.ToolCalls[i] = ToolCall{Index: &idx, ID: tc.ID, Function: FunctionCall{Name: tc.Name, Arguments: tc.Arguments},
				ExtraContent: SignatureExtra(tc.Signature)}
			if tc.ID != "" {
				d.ToolCalls[i].Type = "function"
			}
		}
	}
	d.ExtraContent = SignatureExtra(c.Signature)
	choice := ChunkChoice{Delta: d, Logprobs: ToLogprobs(c.Logprobs)}
	if c.FinishReason != "" {
		fr := c.FinishReason
		choice.FinishReason = &fr
	}
	out.Choices = []ChunkChoice{choice}
	return out
}

// indexOf gives each tool call id its own index; a fragment without an id
// continues the latest call, as OpenAI upstreams stream arguments.
func (e *ChunkEncoder) indexOf(id string) int {
	if id == "" {
		if e.nextTool == 0 {
			e.nextTool = 1
		}
		return e.nextTool - 1
	}
	if idx, ok := e.toolIndex[id]; ok {
		return idx
	}
	if e.toolIndex == nil {
		e.toolIndex = map[string]int{}
	}
	idx := e.nextTool
	e.toolIndex[id] = idx
	e.nextTool++
	return idx
}

// UsageChunk is the final chunk sent when stream_options.include_usage is
// set: no choices, only usage.
func (e *ChunkEncoder) UsageChunk(u provider.Usage, cost *float64) ChatCompletionChunk {
	out := e.base()
	out.Choices = []ChunkChoice{}
	out.Usage = ToUsage(u, cost)
	return out
}

// AppendSSE appends one "data: <json>\n\n" event to buf.
func AppendSSE(buf []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return buf, fmt.Errorf("encode SSE event: %w", err)
	}
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	return append(buf, '\n', '\n'), nil
}

// DoneEvent terminates every successful stream.
const DoneEvent = "data: [DONE]\n\n"
