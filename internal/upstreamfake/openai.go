package upstreamfake

import (
	"encoding/json"
	"net/http"
	"time"
)

// OpenAI chat completion shapes, only the fields clients read.
type oaiMessage struct {
	Role    string  `json:"role"`
	Content string  `json:"content"`
	Refusal *string `json:"refusal"`
}

type oaiChoice struct {
	Index        int         `json:"index"`
	Message      *oaiMessage `json:"message,omitempty"`
	Delta        *oaiDelta   `json:"delta,omitempty"`
	Logprobs     *struct{}   `json:"logprobs"`
	FinishReason *string     `json:"finish_reason"`
}

type oaiDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type oaiUsage struct {
	PromptTokens            int64 `json:"prompt_tokens"`
	CompletionTokens        int64 `json:"completion_tokens"`
	TotalTokens             int64 `json:"total_tokens"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

type oaiResponse struct {
	ID                string      `json:"id"`
	Object            string      `json:"object"`
	Created           int64       `json:"created"`
	Model             string      `json:"model"`
	Choices           []oaiChoice `json:"choices"`
	Usage             *oaiUsage   `json:"usage"`
	SystemFingerprint string      `json:"system_fingerprint"`
}

type openaiEncoder struct{ includeUsage bool }

func (rp *reply) oaiUsage() *oaiUsage {
	if rp.noUsage {
		return nil
	}
	u := &oaiUsage{
		PromptTokens:     rp.usage.Input,
		CompletionTokens: rp.usage.Output + rp.usage.Thinking,
		TotalTokens:      rp.usage.Total(),
	}
	u.CompletionTokensDetails.ReasoningTokens = rp.usage.Thinking
	return u
}

func (rp *reply) oaiEnvelope(object string) oaiResponse {
	return oaiResponse{ID: "chatcmpl-" + rp.id, Object: object, Created: rp.created, Model: rp.model, SystemFingerprint: "fp_upstreamfake"}
}

func (openaiEncoder) body(rp *reply, text string) []byte {
	out := rp.oaiEnvelope("chat.completion")
	fr := rp.finish
	for i := range max(rp.n, 1) {
		out.Choices = append(out.Choices, oaiChoice{Index: i, Message: &oaiMessage{Role: "assistant", Content: text}, FinishReason: &fr})
	}
	out.Usage = rp.oaiUsage()
	b, _ := json.Marshal(out)
	return b
}

func (openaiEncoder) chunk(rp *reply, text string, _ bool) []byte {
	out := rp.oaiEnvelope("chat.completion.chunk")
	out.Choices = []oaiChoice{{Delta: &oaiDelta{Content: &text}}}
	b, _ := json.Marshal(out)
	return b
}

// The first chunk announces the role with empty content, as OpenAI does.
func (openaiEncoder) preamble(rp *reply) [][]byte {
	out := rp.oaiEnvelope("chat.completion.chunk")
	empty := ""
	out.Choices = []oaiChoice{{Delta: &oaiDelta{Role: "assistant", Content: &empty}}}
	b, _ := json.Marshal(out)
	return [][]byte{b}
}

// The finish reason comes in its own chunk with an empty delta, then, when
// asked for, a usage chunk whose choices are empty.
func (e openaiEncoder) trailer(rp *reply) [][]byte {
	fin := rp.oaiEnvelope("chat.completion.chunk")
	fr := rp.finish
	fin.Choices = []oaiChoice{{Delta: &oaiDelta{}, FinishReason: &fr}}
	b, _ := json.Marshal(fin)
	out := [][]byte{b}
	if e.includeUsage && !rp.noUsage {
		u := rp.oaiEnvelope("chat.completion.chunk")
		u.Choices = []oaiChoice{}
		u.Usage = rp.oaiUsage()
		b, _ := json.Marshal(u)
		out = append(out, b)
	}
	return out
}

func (openaiEncoder) sep() string  { return "\n\n" }
func (openaiEncoder) done() string { return "data: [DONE]\n\n" }

var oaiErr = map[int][3]string{ // type, code, message
	400: {"invalid_request_error", "", "Invalid request."},
	401: {"invalid_request_error", "invalid_api_key", "Incorrect API key provided."},
	403: {"invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"},
	404: {"invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."},
	429: {"requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."},
	500: {"server_error", "", "The server had an error while processing your request. Sorry about that!"},
	503: {"server_error", "", "The engine is currently overloaded, please try again later"},
}

func (openaiEncoder) errorBody(status int, msg string, _ time.Duration) []byte {
	d, ok := oaiErr[status]
	if !ok {
		d = [3]string{"server_error", "", http.StatusText(status)}
	}
	if msg == "" {
		msg = d[2]
	}
	var code any
	if d[1] != "" {
		code = d[1]
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": d[0], "param": nil, "code": code}})
	return b
}
