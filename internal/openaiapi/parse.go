package openaiapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// ParseChatRequest decodes and validates a chat-completions body. Every
// error is a *FieldError naming the offending field. It keeps no reference
// to data, which the server reuses.
func ParseChatRequest(data []byte) (*ChatRequest, error) {
	// A valid object is split in one pass without reflection; anything
	// else takes encoding/json's path so that errors keep its wording.
	fields, ok := splitObject(data)
	if !ok {
		var err error
		if fields, err = decodeFields(data); err != nil {
			return nil, err
		}
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD and send
	// the mangled text upstream; OpenAI itself rejects such bodies.
	if !utf8.Valid(data) {
		return nil, invalid("", "request body is not valid UTF-8")
	}
	r := &ChatRequest{}
	// Known fields in a fixed order, so a body with several mistakes always
	// reports the same one; then the rest, which cannot fail, into Extra.
	for _, k := range knownFields {
		if v, ok := fields.get(k); ok {
			if err := r.setField(k, v); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range fields {
		if !isKnownField(f.key) {
			if r.Extra == nil {
				r.Extra = make(map[string]json.RawMessage, 4)
			}
			r.Extra[f.key] = append(json.RawMessage(nil), f.val...)
		}
	}
	if err := r.validate(fields); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeFields is the encoding/json route to the top-level members, taken
// for bodies splitObject refuses: it yields the errors clients see.
func decodeFields(data []byte) (rawFields, error) {
	var m map[string]json.RawMessage
	if k := kind(data); k != "an object" && json.Valid(data) {
		return nil, invalid("", "request body must be a JSON object, got %s", k)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, invalid("", "request body is not a valid JSON object: %s", jsonErrText(err))
	}
	fields := make(rawFields, 0, len(m))
	for k, v := range m {
		fields = append(fields, rawField{key: k, val: v})
	}
	return fields, nil
}

// setField decodes one top-level field into r, or keeps it in Extra.
func (r *ChatRequest) setField(k string, v json.RawMessage) error {
	if isNull(v) && k != "messages" && k != "model" {
		return nil // null means "default" for every optional field
	}
	var err error
	switch k {
	case "model":
		err = decodeString(k, v, &r.Model)
	case "messages":
		r.Messages, err = parseMessages(v)
	case "stream":
		err = decodeBool(k, v, &r.Stream)
	case "stream_options":
		r.StreamOptions = &StreamOptions{}
		err = decodeObject(k, v, r.StreamOptions)
	case "temperature":
		r.Temperature, err = decodeNumber(k, v, 0, 2)
	case "top_p":
		r.TopP, err = decodeNumber(k, v, 0, 1)
	case "max_tokens":
		r.MaxTokens, err = decodePositiveInt(k, v)
	case "max_completion_tokens":
		r.MaxCompletionTokens, err = decodePositiveInt(k, v)
	case "n":
		r.N, err = decodePositiveInt(k, v)
	case "stop":
		r.Stop, err = parseStop(v)
	case "tools":
		r.Tools, err = parseTools(v)
	case "tool_choice":
		r.ToolChoice, err = parseToolChoice(v)
	case "response_format":
		r.ResponseFormat = &ResponseFormat{}
		err = decodeObject(k, v, r.ResponseFormat)
	case "user":
		err = decodeString(k, v, &r.User)
	case "seed":
		r.Seed, err = decodeInt64(k, v)
	case "presence_penalty":
		r.PresencePenalty, err = decodeNumber(k, v, -2, 2)
	case "frequency_penalty":
		r.FrequencyPenalty, err = decodeNumber(k, v, -2, 2)
	case "reasoning_effort":
		err = decodeString(k, v, &r.ReasoningEffort)
	case "logprobs":
		err = decodeBool(k, v, &r.Logprobs)
	case "top_logprobs":
		r.TopLogprobs, err = decodeTopLogprobs(v)
	}
	return err
}

// knownFields are decoded into ChatRequest's typed fields, because the
// gateway owns them (model, messages, stream, the token limit...) or
// because a provider needs them typed to map them (seed, penalties,
// response_format, reasoning_effort, logprobs for Gemini). Every other field stays
// verbatim in Extra and is forwarded to OpenAI-compatible upstreams.
var knownFields = []string{
	"model", "messages", "stream", "stream_options", "temperature", "top_p",
	"max_tokens", "max_completion_tokens", "n", "stop", "tools", "tool_choice",
	"response_format", "user", "seed", "presence_penalty", "frequency_penalty",
	"reasoning_effort", "logprobs", "top_logprobs",
}

func isKnownField(k string) bool {
	for _, f := range knownFields {
		if f == k {
			return true
		}
	}
	return false
}

// validate checks what single fields cannot: presence and cross-field rules.
func (r *ChatRequest) validate(fields rawFields) error {
	if _, ok := fields.get("model"); !ok || r.Model == "" {
		return invalid("model", "is required")
	}
	if _, ok := fields.get("messages"); !ok {
		return invalid("messages", "is required")
	}
	if len(r.Messages) == 0 {
		return invalid("messages", "must contain at least one message")
	}
	if r.N > 1 && r.Stream {
		// The gateway's streams carry one choice: neither the Gemini
		// stream conversion nor the OpenAI one interleaves several.
		return invalid("n", "n > 1 is not supported with stream: true (Gemini and OpenAI-compatible upstreams alike), got %d", r.N)
	}
	if r.TopLogprobs != nil && *r.TopLogprobs > 0 && !r.Logprobs {
		return invalid("top_logprobs", "requires logprobs to be true")
	}
	if r.StreamOptions != nil && !r.Stream {
		return invalid("stream_options", "is only allowed when stream is true")
	}
	if r.ToolChoice != nil && r.ToolChoice.Function != "" && !r.hasTool(r.ToolChoice.Function) {
		return invalid("tool_choice", "names function %q, which is not in tools", r.ToolChoice.Function)
	}
	if r.ToolChoice != nil {
		for i, name := range r.ToolChoice.Allowed {
			if !r.hasTool(name) {
				return invalid(fmt.Sprintf("tool_choice.allowed_tools.tools[%d]", i), "names function %q, which is not in tools", name)
			}
		}
	}
	if r.ToolChoice != nil && r.ToolChoice.Mode == "required" && len(r.Tools) == 0 {
		return invalid("tool_choice", "is \"required\" but no tools were given")
	}
	if len(r.Extra) > 0 {
		return checkExtra(r.Extra)
	}
	return nil
}

// checkExtra refuses the unknown fields that would be forwarded upstream
// and make the answer carry something this gateway drops on the way back
// (audio, legacy function_call answers): the client would silently get
// less than it asked for. Fixed order, so a body with several of them
// always reports the same one.
func checkExtra(extra map[string]json.RawMessage) error {
	for _, k := range [...]string{"functions", "function_call"} {
		if v, ok := extra[k]; ok && !isNull(v) {
			return invalid(k, "the legacy function-calling API is not supported by this gateway; use tools and tool_choice")
		}
	}
	if v, ok := extra["audio"]; ok && !isNull(v) {
		return invalid("audio", "audio output is not supported by this gateway")
	}
	if v, ok := extra["modalities"]; ok && !isNull(v) {
		var mods []string
		if json.Unmarshal(v, &mods) != nil {
			return invalid("modalities", "must be an array of strings, got %s", kind(v))
		}
		for _, m := range mods {
			if m != "text" {
				return invalid("modalities", "only \"text\" output is supported by this gateway, got %q", m)
			}
		}
	}
	return nil
}

func (r *ChatRequest) hasTool(name string) bool {
	for _, t := range r.Tools {
		if t.Function.Name == name {
			return true
		}
	}
	return false
}

// MaxOutputTokens returns max_completion_tokens, else max_tokens, else 0.
func (r *ChatRequest) MaxOutputTokens() int {
	if r.MaxCompletionTokens > 0 {
		return r.MaxCompletionTokens
	}
	return r.MaxTokens
}

// IncludeUsage reports whether a stream should end with a usage chunk.
func (r *ChatRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

func isNull(v json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// kind names a JSON value's type for error messages.
func kind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func decodeString(field string, v json.RawMessage, dst *string) error {
	if s, ok := plainString(v); ok {
		*dst = s
		return nil
	}
	if s, ok := fastString(v); ok {
		*dst = s
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return invalid(field, "must be a string, got %s", kind(v))
	}
	return nil
}

// plainString decodes a JSON string without escapes by slicing it: most
// prompts and every model name have none, and the decoder would scan the
// text twice more. v must come from a document already validated as JSON
// and UTF-8 (ParseChatRequest checks both first), so a quoted token with
// no backslash holds neither quotes nor control characters.
func plainString(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	n := len(v)
	if n < 2 || v[0] != '"' || v[n-1] != '"' || bytes.IndexByte(v[1:n-1], '\\') >= 0 {
		return "", false
	}
	return string(v[1 : n-1]), true
}

func decodeBool(field string, v json.RawMessage, dst *bool) error {
	if fastPaths {
		switch string(v) {
		case "true":
			*dst = true
			return nil
		case "false":
			*dst = false
			return nil
		}
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return invalid(field, "must be a boolean, got %s", kind(v))
	}
	return nil
}

func decodeObject(field string, v json.RawMessage, dst any) error {
	if kind(v) != "an object" {
		return invalid(field, "must be an object, got %s", kind(v))
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return invalid(field, "%s", jsonErrText(err))
	}
	return nil
}

func decodeNumber(field string, v json.RawMessage, lo, hi float64) (*float64, error) {
	f, ok := fastFloat(v)
	if !ok {
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, invalid(field, "must be a number, got %s", kind(v))
		}
	}
	if f < lo || f > hi || math.IsNaN(f) {
		return nil, invalid(field, "must be between %g and %g, got %g", lo, hi, f)
	}
	return &f, nil
}

// decodeInt64 reads an integer as json.Unmarshal into an int64 would, so
// that seeds above 2^53 keep every digit.
func decodeInt64(field string, v json.RawMessage) (*int64, error) {
	if fastPaths {
		// v is one valid JSON number here or not a number at all, so
		// ParseInt sees no sign or form JSON does not allow.
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return &n, nil
		}
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil {
		if kind(v) == "a number" {
			return nil, invalid(field, "must be a 64-bit integer, got %s", bytes.TrimSpace(v))
		}
		return nil, invalid(field, "must be an integer, got %s", kind(v))
	}
	return &n, nil
}

// decodeTopLogprobs reads top_logprobs, an integer from 0 to 20 as in
// OpenAI's API.
func decodeTopLogprobs(v json.RawMessage) (*int, error) {
	n, err := decodeInt("top_logprobs", v, 0, 20, "an integer between 0 and 20")
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// decodePositiveInt reads a count of at least 1, so that 0 can mean absent.
func decodePositiveInt(field string, v json.RawMessage) (int, error) {
	return decodeInt(field, v, 1, math.MaxInt32, "a positive integer")
}

// decodeInt reads an integer from lo to hi; want describes that range
// in the error.
func decodeInt(field string, v json.RawMessage, lo, hi float64, want string) (int, error) {
	f, ok := fastFloat(v)
	if !ok {
		if err := json.Unmarshal(v, &f); err != nil {
			return 0, invalid(field, "must be an integer, got %s", kind(v))
		}
	}
	if f != math.Trunc(f) || f < lo || f > hi {
		return 0, invalid(field, "must be %s, got %s", want, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return int(f), nil
}

func parseStop(v json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, invalid("stop", "must be a string or an array of strings, got %s", kind(v))
	}
	if len(list) > 4 {
		return nil, invalid("stop", "at most 4 sequences are allowed, got %d", len(list))
	}
	for i, s := range list {
		if s == "" {
			return nil, invalid(fmt.Sprintf("stop[%d]", i), "must not be empty")
		}
	}
	return list, nil
}

// jsonErrText shortens encoding/json errors, which name Go types, into
// text that makes sense to a client who only sees JSON.
func jsonErrText(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("%s at byte %d", e.Error(), e.Offset)
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return fmt.Sprintf("field %q has the wrong type (got %s)", e.Field, e.Value)
		}
		return fmt.Sprintf("wrong type (got %s)", e.Value)
	}
	return err.Error()
}
