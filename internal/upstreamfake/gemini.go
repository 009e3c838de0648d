package upstreamfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Gemini REST shapes (generativelanguage.googleapis.com v1beta), only the
// fields clients read.
type gemResponse struct {
	Candidates    []gemCandidate `json:"candidates"`
	UsageMetadata *gemUsage      `json:"usageMetadata,omitempty"`
	ModelVersion  string         `json:"modelVersion"`
	ResponseID    string         `json:"responseId"`
}

type gemCandidate struct {
	Content      geminiContent `json:"content"`
	FinishReason string        `json:"finishReason,omitempty"`
	Index        int           `json:"index"`
}

type gemUsage struct {
	PromptTokenCount     int64 `json:"promptTokenCount"`
	CandidatesTokenCount int64 `json:"candidatesTokenCount,omitempty"`
	ThoughtsTokenCount   int64 `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount      int64 `json:"totalTokenCount"`
}

type geminiEncoder struct{}

func gemFinish(f string) string {
	if f == finishLength {
		return "MAX_TOKENS"
	}
	return "STOP"
}

func (geminiEncoder) response(rp *reply, text string, final bool) gemResponse {
	out := gemResponse{
		Candidates:   []gemCandidate{{Content: geminiContent{Role: "model", Parts: []geminiPart{{Text: text}}}}},
		ModelVersion: rp.model,
		ResponseID:   rp.id,
	}
	switch {
	case rp.noUsage:
	case final:
		u := rp.usage
		out.UsageMetadata = &gemUsage{u.Input, u.Output, u.Thinking, u.Total()}
	default:
		// Like the real API, chunks before the last carry the prompt count
		// only; a client must take the last usageMetadata, not sum them.
		out.UsageMetadata = &gemUsage{PromptTokenCount: rp.usage.Input, TotalTokenCount: rp.usage.Input}
	}
	if final {
		out.Candidates[0].FinishReason = gemFinish(rp.finish)
	}
	for i := 1; i < rp.n && final; i++ {
		c := out.Candidates[0]
		c.Index = i
		out.Candidates = append(out.Candidates, c)
	}
	return out
}

func (e geminiEncoder) body(rp *reply, text string) []byte {
	b, _ := json.Marshal(e.response(rp, text, true))
	return b
}

func (e geminiEncoder) chunk(rp *reply, text string, last bool) []byte {
	b, _ := json.Marshal(e.response(rp, text, last))
	return b
}

// Gemini puts finishReason and the full usage on the last text chunk, so
// nothing follows it.
func (geminiEncoder) preamble(*reply) [][]byte { return nil }
func (geminiEncoder) trailer(*reply) [][]byte  { return nil }
func (geminiEncoder) sep() string              { return "\r\n\r\n" }
func (geminiEncoder) done() string             { return "" }

var gemStatus = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
	404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
	500: "INTERNAL", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

var gemMessage = map[int]string{
	429: "Resource has been exhausted (e.g. check quota).",
	500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
	503: "The model is overloaded. Please try again later.",
	504: "Deadline expired before operation could complete.",
}

func (geminiEncoder) errorBody(status int, msg string, retryAfter time.Duration) []byte {
	st, ok := gemStatus[status]
	if !ok {
		st = "UNKNOWN"
	}
	if msg == "" {
		msg = gemMessage[status]
		if msg == "" {
			msg = http.StatusText(status)
		}
	}
	e := map[string]any{"code": status, "message": msg, "status": st}
	if retryAfter > 0 {
		e["details"] = []map[string]string{{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": fmt.Sprintf("%gs", retryAfter.Seconds()),
		}}
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}
