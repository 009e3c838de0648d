// Package gemini is a thin net/http client for the Gemini API's native REST
// protocol (generateContent and streamGenerateContent?alt=sse). The wire
// types and the pure converters between them and provider's neutral types
// live in this file so they can be golden-tested without HTTP.
package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// GenerateContentRequest is the body of generateContent.
type GenerateContentRequest struct {
	Contents          []Content         `json:"contents"`
	SystemInstruction *Content          `json:"systemInstruction,omitempty"`
	GenerationConfig  *GenerationConfig `json:"generationConfig,omitempty"`
	Tools             []Tool            `json:"tools,omitempty"`
	ToolConfig        *ToolConfig       `json:"toolConfig,omitempty"`
}

// Content is one turn; Role is "user" or "model" (empty in systemInstruction).
type Content struct {
	Role  string `json:"role,omitempty"`
	Parts []Part `json:"parts"`
}

// Part is one piece of a turn: text, a function call or a function response.
type Part struct {
	Text             string            `json:"text,omitempty"`
	Thought          bool              `json:"thought,omitempty"`
	ThoughtSignature string            `json:"thoughtSignature,omitempty"`
	FunctionCall     *FunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse *FunctionResponse `json:"functionResponse,omitempty"`
	InlineData       *Blob             `json:"inlineData,omitempty"`
}

// FunctionCall is a model's request to call a declared function.
type FunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

// FunctionResponse returns a function's result; Response must be an object.
type FunctionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

// GenerationConfig holds the sampling parameters. The fields after
// StopSequences are set from the request's OpenAI options (options.go).
type GenerationConfig struct {
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	MaxOutputTokens    int             `json:"maxOutputTokens,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	CandidateCount     int             `json:"candidateCount,omitempty"`
	TopK               *int            `json:"topK,omitempty"`
	Seed               *int32          `json:"seed,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ThinkingConfig     *ThinkingConfig `json:"thinkingConfig,omitempty"`
	ResponseLogprobs   bool            `json:"responseLogprobs,omitempty"`
	Logprobs           *int            `json:"logprobs,omitempty"`
}

// Tool groups function declarations.
type Tool struct {
	FunctionDeclarations []FunctionDeclaration `json:"functionDeclarations"`
}

// FunctionDeclaration declares one callable function.
type FunctionDeclaration struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// ToolConfig constrains function calling.
type ToolConfig struct {
	FunctionCallingConfig FunctionCallingConfig `json:"functionCallingConfig"`
}

// FunctionCallingConfig: Mode is AUTO, ANY or NONE.
type FunctionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

// GenerateContentResponse is a generateContent answer and also each event of
// a streamed one.
type GenerateContentResponse struct {
	Candidates     []Candidate     `json:"candidates,omitempty"`
	PromptFeedback *PromptFeedback `json:"promptFeedback,omitempty"`
	UsageMetadata  *UsageMetadata  `json:"usageMetadata,omitempty"`
	ModelVersion   string          `json:"modelVersion,omitempty"`
	ResponseID     string          `json:"responseId,omitempty"`
	// Error is set when an error arrives inside a stream.
	Error *ErrorBody `json:"error,omitempty"`
}

// Candidate is one generated answer.
type Candidate struct {
	Content      Content `json:"content"`
	FinishReason string  `json:"finishReason,omitempty"`
	Index        int     `json:"index"`
	// LogprobsResult is set when generationConfig.responseLogprobs was.
	LogprobsResult *LogprobsResult `json:"logprobsResult,omitempty"`
}

// LogprobsResult is a candidate's token log probabilities: the chosen
// token at each decoding step and, when generationConfig.logprobs asked
// for them, the top candidates at the same step.
type LogprobsResult struct {
	TopCandidates    []TopCandidates     `json:"topCandidates,omitempty"`
	ChosenCandidates []LogprobsCandidate `json:"chosenCandidates,omitempty"`
}

// TopCandidates are one step's most likely tokens, most likely first.
type TopCandidates struct {
	Candidates []LogprobsCandidate `json:"candidates,omitempty"`
}

// LogprobsCandidate is one token and its log probability.
type LogprobsCandidate struct {
	Token          string  `json:"token,omitempty"`
	TokenID        int     `json:"tokenId,omitempty"`
	LogProbability float64 `json:"logProbability,omitempty"`
}

// tokens converts to neutral log probabilities, step by step; nil when
// there are none.
func (r *LogprobsResult) tokens() []provider.TokenLogprob {
	if r == nil || len(r.ChosenCandidates) == 0 {
		return nil
	}
	out := make([]provider.TokenLogprob, len(r.ChosenCandidates))
	for i, c := range r.ChosenCandidates {
		out[i] = provider.TokenLogprob{Token: c.Token, Logprob: c.LogProbability}
		if i < len(r.TopCandidates) {
			top := r.TopCandidates[i].Candidates
			out[i].Top = make([]provider.TokenLogprob, len(top))
			for j, t := range top {
				out[i].Top[j] = provider.TokenLogprob{Token: t.Token, Logprob: t.LogProbability}
			}
		}
	}
	return out
}

// PromptFeedback reports a blocked prompt.
type PromptFeedback struct {
	BlockReason string `json:"blockReason,omitempty"`
}

// UsageMetadata counts tokens. Thoughts are billed as output.
type UsageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount,omitempty"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount,omitempty"`
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitempty"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

// ErrorBody is Google's error object: {"error":{"code","message","status"}}.
type ErrorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// ToWire converts a neutral request to the Gemini request body. Bad input
// (invalid tool-call arguments, a tool result answering no known call)
// returns an apierr.Invalid error. Thought signatures travel on the parts
// they came with; for Gemini 3 and later, a function call of the current
// turn that must be signed but is not gets PlaceholderSignature.
func ToWire(req *provider.Request) (*GenerateContentRequest, error) {
	w, _, err := toWire(req)
	return w, err
}

// toWire is ToWire, also counting the placeholder signatures it filled in.
func toWire(req *provider.Request) (*GenerateContentRequest, int, error) {
	w, err := convert(req)
	if err != nil {
		return nil, 0, err
	}
	return w, w.signCurrentTurn(req.Model), nil
}

func convert(req *provider.Request) (*GenerateContentRequest, error) {
	w := &GenerateContentRequest{Contents: []Content{}}
	callNames := map[string]string{} // tool_call_id -> function name
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer":
			if m.Content == "" {
				continue
			}
			if w.SystemInstruction == nil {
				w.SystemInstruction = &Content{}
			}
			w.SystemInstruction.Parts = append(w.SystemInstruction.Parts, Part{Text: m.Content})
		case "user":
			if m.Parts != nil {
				parts, err := mediaParts(i, m.Parts)
				if err != nil {
					return nil, err
				}
				w.Contents = append(w.Contents, Content{Role: "user", Parts: parts})
				continue
			}
			if m.Content != "" {
				w.appendTurn("user", Part{Text: m.Content}, false)
			}
		case "assistant":
			if err := w.appendAssistant(i, m, callNames); err != nil {
				return nil, err
			}
		case "tool":
			p, err := toolResult(i, m, callNames)
			if err != nil {
				return nil, err
			}
			// All results of one round go in one user turn, as Gemini expects
			// one functionResponse per functionCall of the previous turn.
			w.appendTurn("user", p, true)
		default:
			return nil, apierr.New(apierr.Invalid, "messages[%d]: unknown role %q", i, m.Role)
		}
	}
	if len(w.Contents) == 0 {
		return nil, apierr.New(apierr.Invalid, "request has no user or assistant content")
	}
	w.GenerationConfig = generationConfig(req)
	if err := w.applyOptions(req); err != nil {
		return nil, err
	}
	if err := w.setTools(req); err != nil {
		return nil, err
	}
	return w, nil
}

// appendTurn adds p as a new turn, or to the previous turn when merge is set
// and that turn has the same role and also carries function responses.
func (w *GenerateContentRequest) appendTurn(role string, p Part, merge bool) {
	if n := len(w.Contents); merge && n > 0 {
		last := &w.Contents[n-1]
		if last.Role == role && len(last.Parts) > 0 && last.Parts[0].FunctionResponse != nil {
			last.Parts = append(last.Parts, p)
			return
		}
	}
	w.Contents = append(w.Contents, Content{Role: role, Parts: []Part{p}})
}

func (w *GenerateContentRequest) appendAssistant(i int, m provider.Message, callNames map[string]string) error {
	var parts []Part
	if m.Content != "" {
		parts = append(parts, Part{Text: m.Content, ThoughtSignature: m.Signature})
	}
	for j, tc := range m.ToolCalls {
		args := strings.TrimSpace(tc.Arguments)
		if args == "" {
			args = "{}"
		}
		if !json.Valid([]byte(args)) || args[0] != '{' {
			return apierr.New(apierr.Invalid, "messages[%d].tool_calls[%d]: arguments of %q are not a JSON object", i, j, tc.Name)
		}
		parts = append(parts, Part{FunctionCall: &FunctionCall{Name: tc.Name, Args: compact(args)}, ThoughtSignature: tc.Signature})
		if tc.ID != "" {
			callNames[tc.ID] = tc.Name
		}
	}
	// A turn signature with no text to carry it came from a signature-only
	// part that closed a function-calling answer (see answer.finish); it
	// belongs to the step's first call, which Gemini 3 validates.
	if m.Content == "" && m.Signature != "" && len(parts) > 0 && parts[0].ThoughtSignature == "" {
		parts[0].ThoughtSignature = m.Signature
	}
	if len(parts) > 0 {
		w.Contents = append(w.Contents, Content{Role: "model", Parts: parts})
	}
	return nil
}

func toolResult(i int, m provider.Message, callNames map[string]string) (Part, error) {
	name := callNames[m.ToolCallID]
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return Part{}, apierr.New(apierr.Invalid, "messages[%d]: tool result answers unknown tool_call_id %q", i, m.ToolCallID)
	}
	// Gemini wants an object; a tool's plain-text (or non-object JSON)
	// output is wrapped as {"result": ...}.
	var resp json.RawMessage
	if s := strings.TrimSpace(m.Content); strings.HasPrefix(s, "{") && json.Valid([]byte(s)) {
		resp = compact(s)
	} else {
		b, _ := json.Marshal(map[string]string{"result": m.Content})
		resp = b
	}
	return Part{FunctionResponse: &FunctionResponse{Name: name, Response: resp}}, nil
}

func generationConfig(req *provider.Request) *GenerationConfig {
	gc := &GenerationConfig{Temperature: req.Temperature, TopP: req.TopP, StopSequences: req.Stop}
	if req.MaxTokens > 0 {
		gc.MaxOutputTokens = req.MaxTokens
	}
	if req.N > 1 {
		gc.CandidateCount = req.N
	}
	if gc.Temperature == nil && gc.TopP == nil && gc.MaxOutputTokens == 0 && len(gc.StopSequences) == 0 && gc.CandidateCount == 0 {
		return nil
	}
	return gc
}

// setTools declares the request's tools and maps tool_choice. Gemini
// restricts calls to some declared functions only in mode ANY
// (allowedFunctionNames), so an allowed_tools choice in mode auto
// declares just the allowed functions instead.
func (w *GenerateContentRequest) setTools(req *provider.Request) error {
	onlyAllowed := req.ToolChoice == "auto" && len(req.AllowedTools) > 0
	if len(req.Tools) > 0 {
		decls := make([]FunctionDeclaration, 0, len(req.Tools))
		for i, t := range req.Tools {
			if onlyAllowed && !slices.Contains(req.AllowedTools, t.Name) {
				continue
			}
			params, err := sanitizeSchema(t.Parameters)
			if err != nil {
				return apierr.New(apierr.Invalid, "tools[%d] %q: parameters: %v", i, t.Name, err)
			}
			decls = append(decls, FunctionDeclaration{Name: t.Name, Description: t.Description, Parameters: params})
		}
		w.Tools = []Tool{{FunctionDeclarations: decls}}
	}
	switch req.ToolChoice {
	case "":
		return nil
	case "auto":
		w.ToolConfig = &ToolConfig{FunctionCallingConfig{Mode: "AUTO"}}
	case "none":
		w.ToolConfig = &ToolConfig{FunctionCallingConfig{Mode: "NONE"}}
	case "required":
		w.ToolConfig = &ToolConfig{FunctionCallingConfig{Mode: "ANY", AllowedFunctionNames: req.AllowedTools}}
	default:
		if !hasTool(req.Tools, req.ToolChoice) {
			return apierr.New(apierr.Invalid, "tool_choice names %q, which is not among the request's tools", req.ToolChoice)
		}
		w.ToolConfig = &ToolConfig{FunctionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{req.ToolChoice}}}
	}
	return nil
}

func hasTool(tools []provider.Tool, name string) bool {
	for _, t := range tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// unsupportedSchemaKeys are JSON Schema keywords OpenAI clients commonly send
// that Gemini's OpenAPI-subset schema rejects with a 400.
var unsupportedSchemaKeys = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "additionalProperties": true, "strict": true,
}

// sanitizeSchema drops unsupported keywords, keeping user property names.
func sanitizeSchema(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return json.Marshal(cleanSchema(v))
}

func cleanSchema(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			if unsupportedSchemaKeys[k] {
				continue
			}
			if k == "properties" {
				if props, ok := val.(map[string]any); ok {
					cp := make(map[string]any, len(props))
					for name, s := range props {
						cp[name] = cleanSchema(s)
					}
					out[k] = cp
					continue
				}
			}
			out[k] = cleanSchema(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = cleanSchema(t[i])
		}
		return out
	}
	return v
}

func compact(s string) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return json.RawMessage(s)
	}
	return b.Bytes()
}

// FromWire converts a Gemini response to the neutral one. When the upstream
// sent no usageMetadata, Usage.Missing is set and the counts are zero; the
// client fills an estimate.
func FromWire(w *GenerateContentResponse) (*provider.Response, error) {
	out := &provider.Response{Model: w.ModelVersion}
	if len(w.Candidates) == 0 {
		if w.PromptFeedback == nil || w.PromptFeedback.BlockReason == "" {
			return nil, fmt.Errorf("no candidates and no promptFeedback.blockReason")
		}
		out.FinishReason = "content_filter"
	} else {
		first := candidateOf(w.Candidates[0])
		out.Text, out.Signature, out.ToolCalls, out.FinishReason = first.Text, first.Signature, first.ToolCalls, first.FinishReason
		out.Logprobs = first.Logprobs
		for _, c := range w.Candidates[1:] {
			out.Alternatives = append(out.Alternatives, candidateOf(c))
		}
	}
	out.Usage = UsageOf(w.UsageMetadata)
	return out, nil
}

// FinishReason maps Gemini's finishReason to OpenAI's vocabulary.
func FinishReason(r string, hasCalls bool) string {
	switch r {
	case "":
		return ""
	case "STOP":
		if hasCalls {
			return "tool_calls"
		}
		return "stop"
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE":
		return "content_filter"
	}
	// OTHER, MALFORMED_FUNCTION_CALL, FINISH_REASON_UNSPECIFIED, and reasons
	// added later: the answer ended, for no reason OpenAI has a name for.
	if hasCalls {
		return "tool_calls"
	}
	return "stop"
}

// UsageOf converts usageMetadata; nil gives Usage{Missing: true}.
func UsageOf(u *UsageMetadata) provider.Usage {
	if u == nil {
		return provider.Usage{Missing: true}
	}
	return provider.Usage{
		InputTokens:    u.PromptTokenCount + u.ToolUsePromptTokenCount,
		OutputTokens:   u.CandidatesTokenCount,
		ThinkingTokens: u.ThoughtsTokenCount,
	}.Clamped()
}

// ParseError reads Google's error body; it also accepts the one-element
// array some endpoints wrap it in.
func ParseError(body []byte) upstream.ErrorDetail {
	var e struct {
		Error ErrorBody `json:"error"`
	}
	b := bytes.TrimSpace(body)
	if len(b) > 0 && b[0] == '[' {
		var arr []json.RawMessage
		if json.Unmarshal(b, &arr) == nil && len(arr) > 0 {
			b = arr[0]
		}
	}
	if json.Unmarshal(b, &e) != nil {
		return upstream.ErrorDetail{}
	}
	return upstream.ErrorDetail{Status: e.Error.Status, Message: e.Error.Message}
}

// candidateOf converts one candidate.
func candidateOf(c Candidate) provider.Alternative {
	var a answer
	a.add(c.Content.Parts)
	out := provider.Alternative{Text: a.text.String(), Logprobs: c.LogprobsResult.tokens()}
	out.Signature, out.ToolCalls = a.finish()
	out.FinishReason = FinishReason(c.FinishReason, len(out.ToolCalls) > 0)
	return out
}
