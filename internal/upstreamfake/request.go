package upstreamfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Protocol is the upstream wire protocol a call used.
type Protocol string

const (
	Gemini Protocol = "gemini"
	OpenAI Protocol = "openai"
)

// Message is one chat turn as the fake understood it. Gemini's "model"
// role is reported as "assistant" and systemInstruction as "system".
type Message struct {
	Role string
	Text string
	// Media counts the turn's non-text parts (images, audio, files).
	Media int
}

// MediaTokens is what the fake bills per media part, as a real upstream
// bills an image or a second of audio whatever its text says.
const MediaTokens = 258

// Request is a parsed upstream call, given to scripts and answerers.
type Request struct {
	Protocol Protocol
	Model    string
	Stream   bool
	// IncludeUsage is OpenAI's stream_options.include_usage.
	IncludeUsage bool
	Messages     []Message
	// MaxTokens is max_tokens / max_completion_tokens / maxOutputTokens.
	MaxTokens int
	Header    http.Header
	// Body is the request body as received, for tests of the translation.
	Body []byte
	// N is the number of choices asked for (n / candidateCount), 0 if unset.
	N int
}

// LastUser is the text of the last user message, "" if none.
func (r *Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Text
		}
	}
	return ""
}

// Hash identifies the prompt (all roles and texts) for repeat counting.
func (r *Request) Hash() string { return PromptHash(r.Messages) }

// PromptHash is the hash Request.Hash computes, for tests that build the
// expected key themselves.
func PromptHash(msgs []Message) string {
	h := sha256.New()
	for _, m := range msgs {
		fmt.Fprintf(h, "%d:%s%d:%s", len(m.Role), m.Role, len(m.Text), m.Text)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// InputTokens is the deterministic prompt token count: words in all messages.
func (r *Request) InputTokens() int {
	n := 0
	for _, m := range r.Messages {
		n += CountTokens(m.Text) + m.Media*MediaTokens
	}
	return n
}

// CountTokens is the fake's tokenizer: whitespace-separated words.
func CountTokens(s string) int { return len(strings.Fields(s)) }

type geminiPart struct {
	Text       string          `json:"text"`
	Thought    bool            `json:"thought,omitempty"`
	InlineData json.RawMessage `json:"inlineData,omitempty"`
}

type geminiContent struct {
	Role  string       `json:"role,omitempty"`
	Parts []geminiPart `json:"parts"`
}

type geminiRequest struct {
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	GenerationConfig  struct {
		MaxOutputTokens int `json:"maxOutputTokens"`
		CandidateCount  int `json:"candidateCount"`
	} `json:"generationConfig"`
}

func joinParts(ps []geminiPart) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Text)
	}
	return b.String()
}

func countMedia(ps []geminiPart) int {
	n := 0
	for _, p := range ps {
		if p.InlineData != nil {
			n++
		}
	}
	return n
}

func parseGemini(body []byte, model string, stream bool) (*Request, error) {
	var g geminiRequest
	if err := json.Unmarshal(body, &g); err != nil {
		return nil, fmt.Errorf("Invalid JSON payload received. %v", err)
	}
	if len(g.Contents) == 0 {
		return nil, errors.New("* GenerateContentRequest.contents: contents is not specified")
	}
	r := &Request{Protocol: Gemini, Model: model, Stream: stream, MaxTokens: g.GenerationConfig.MaxOutputTokens,
		N: g.GenerationConfig.CandidateCount}
	if g.SystemInstruction != nil {
		r.Messages = append(r.Messages, Message{Role: "system", Text: joinParts(g.SystemInstruction.Parts)})
	}
	for i, c := range g.Contents {
		role := c.Role
		switch role {
		case "", "user":
			role = "user"
		case "model":
			role = "assistant"
		default:
			return nil, fmt.Errorf("* GenerateContentRequest.contents[%d].role: Please use a valid role: user, model.", i)
		}
		r.Messages = append(r.Messages, Message{Role: role, Text: joinParts(c.Parts), Media: countMedia(c.Parts)})
	}
	return r, nil
}

type openaiRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
	N                   int `json:"n"`
}

// openaiText accepts both content shapes: a string, or an array of parts.
// It also counts the media parts.
func openaiText(raw json.RawMessage) (string, int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, 0, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", 0, errors.New("content must be a string or an array of content parts")
	}
	var b strings.Builder
	media := 0
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		} else {
			media++
		}
	}
	return b.String(), media, nil
}

func parseOpenAI(body []byte) (*Request, error) {
	var o openaiRequest
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("We could not parse the JSON body of your request. (%v)", err)
	}
	if o.Model == "" {
		return nil, errors.New("you must provide a model parameter")
	}
	if len(o.Messages) == 0 {
		return nil, errors.New("'messages' must contain at least one message")
	}
	r := &Request{Protocol: OpenAI, Model: o.Model, Stream: o.Stream, MaxTokens: o.MaxTokens, N: o.N}
	if o.MaxCompletionTokens > 0 {
		r.MaxTokens = o.MaxCompletionTokens
	}
	if o.StreamOptions != nil {
		r.IncludeUsage = o.StreamOptions.IncludeUsage
	}
	for i, m := range o.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return nil, fmt.Errorf("Invalid value for 'messages[%d].role': %q", i, m.Role)
		}
		text, media, err := openaiText(m.Content)
		if err != nil {
			return nil, fmt.Errorf("Invalid 'messages[%d].content': %v", i, err)
		}
		role := m.Role
		if role == "developer" {
			role = "system"
		}
		r.Messages = append(r.Messages, Message{Role: role, Text: text, Media: media})
	}
	return r, nil
}
