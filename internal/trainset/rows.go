package trainset

import "github.com/llmrouter/llmrouter/internal/trainset/trl"

// SFTRow and DPORow are the rows Build makes, in the format package trl
// owns; the aliases let callers of Build name them without importing trl.
type (
	SFTRow = trl.SFTRow
	DPORow = trl.DPORow
)

// Prompt is trl.Prompt, for callers that build training rows by hand.
func Prompt(query string) string { return trl.Prompt(query) }

// Completion is trl.Completion, for callers that build training rows by
// hand.
func Completion(label string) string { return trl.Completion(label) }
