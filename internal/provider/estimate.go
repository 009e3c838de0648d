package provider

import (
	"time"

	"github.com/llmrouter/llmrouter/internal/provider/tokens"
)

// Chat formats add a few tokens per message (role markers, separators);
// OpenAI documents 3 per message plus 3 to prime the reply for its chat
// models, and we use the same overhead for every estimate.
const (
	tokensPerMessage = 3
	tokensPerReply   = 3
)

// EstimatePromptTokens estimates the input tokens of msgs offline.
func EstimatePromptTokens(msgs []Message) int {
	n := tokensPerReply
	for _, m := range msgs {
		n += tokensPerMessage + tokens.Count(m.Content)
		for _, tc := range m.ToolCalls {
			n += tokens.Count(tc.Name) + tokens.Count(tc.Arguments)
		}
	}
	return n
}

// EstimateUsage estimates a call's usage from its request and output text,
// for upstreams that report none. The result is marked Estimated.
func EstimateUsage(req *Request, output string, calls []ToolCall) Usage {
	out := tokens.Count(output)
	for _, tc := range calls {
		out += tokens.Count(tc.Name) + tokens.Count(tc.Arguments)
	}
	return Usage{InputTokens: EstimatePromptTokens(req.Messages), OutputTokens: out, Estimated: true}
}

// Finish sets what every client sets alike on r, its answer to req: the
// latency since start, req's model when the upstream named none, and
// estimated usage (still marked Missing) when the upstream sent none. It
// reports the estimate so each client can log it in its upstream's terms.
func (r *Response) Finish(req *Request, start time.Time) (estimated bool) {
	r.Latency = time.Since(start)
	if r.Model == "" {
		r.Model = req.Model
	}
	if !r.Usage.Missing {
		return false
	}
	r.Usage = EstimateUsage(req, r.Text, r.ToolCalls)
	r.Usage.Missing = true
	return true
}
