package upstreamfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// decoded is what a strict client would make of a response body.
type decoded struct {
	text   string
	finish string
	usage  *Usage
	done   bool // OpenAI [DONE] seen
	events int
}

// decode parses a body of tg's shape strictly: any invalid event is an error.
func decode(tg target, body []byte) (decoded, error) {
	if !tg.stream {
		return decodeOne(tg.proto, []byte(body))
	}
	sep := "\n\n"
	if tg.proto == Gemini {
		sep = "\r\n\r\n"
	}
	var out decoded
	for _, ev := range strings.Split(string(body), sep) {
		if ev == "" {
			continue
		}
		payload, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			return out, fmt.Errorf("not an SSE data event: %q", ev)
		}
		if payload == "[DONE]" {
			out.done = true
			continue
		}
		one, err := decodeOne(tg.proto, []byte(payload))
		if err != nil {
			return out, err
		}
		out.events++
		out.text += one.text
		if one.finish != "" {
			out.finish = one.finish
		}
		if one.usage != nil {
			out.usage = one.usage
		}
	}
	return out, nil
}

func decodeOne(p Protocol, b []byte) (decoded, error) {
	var out decoded
	if p == Gemini {
		var g gemResponse
		if err := json.Unmarshal(b, &g); err != nil {
			return out, err
		}
		if len(g.Candidates) == 0 {
			return out, errors.New("no candidates")
		}
		out.text = joinParts(g.Candidates[0].Content.Parts)
		out.finish = g.Candidates[0].FinishReason
		if u := g.UsageMetadata; u != nil {
			out.usage = &Usage{Input: u.PromptTokenCount, Output: u.CandidatesTokenCount, Thinking: u.ThoughtsTokenCount}
		}
		return out, nil
	}
	var o struct {
		Choices []struct {
			Message *struct{ Content string } `json:"message"`
			Delta   *struct{ Content string } `json:"delta"`
			Finish  *string                   `json:"finish_reason"`
		} `json:"choices"`
		Usage *oaiUsage `json:"usage"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return out, err
	}
	for _, c := range o.Choices {
		if c.Message != nil {
			out.text += c.Message.Content
		}
		if c.Delta != nil {
			out.text += c.Delta.Content
		}
		if c.Finish != nil {
			out.finish = *c.Finish
		}
	}
	if u := o.Usage; u != nil {
		r := u.CompletionTokensDetails.ReasoningTokens
		out.usage = &Usage{Input: u.PromptTokens, Output: u.CompletionTokens - r, Thinking: r}
	}
	return out, nil
}
