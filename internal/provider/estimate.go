package provider

import "github.com/llmrouter/llmrouter/internal/provider/tokens"

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
