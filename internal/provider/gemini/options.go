package gemini

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// ThinkingConfig is generationConfig.thinkingConfig: a level for Gemini 3
// and later, a token budget for 2.5 (the API refuses both at once).
type ThinkingConfig struct {
	ThinkingBudget *int   `json:"thinkingBudget,omitempty"`
	ThinkingLevel  string `json:"thinkingLevel,omitempty"`
}

// applyOptions maps the request's OpenAI options onto generationConfig:
// seed, penalties, response_format, reasoning_effort, logprobs and the
// top_k extension have equivalents. Of the other pass-through fields,
// those whose loss would change the answer materially (logit_bias, web
// search, moderation) are refused with a *provider.ParamError naming
// them; the rest mean nothing here and are ignored, as they would be by
// a server that does not know them (README's Compatibility table gives
// the reason for each).
func (w *GenerateContentRequest) applyOptions(req *provider.Request) error {
	if req.Seed == nil && req.PresencePenalty == nil && req.FrequencyPenalty == nil &&
		req.ResponseFormat == nil && req.ReasoningEffort == "" && !req.Logprobs && len(req.Extra) == 0 {
		return nil // the common request
	}
	gc := w.GenerationConfig
	if gc == nil {
		gc = &GenerationConfig{}
	}
	if req.Seed != nil {
		// Gemini's seed is 32 bits, OpenAI's 64. The low 32 bits keep
		// what a seed promises: the same seed, the same sampling.
		s := int32(*req.Seed)
		gc.Seed = &s
	}
	gc.PresencePenalty, gc.FrequencyPenalty = req.PresencePenalty, req.FrequencyPenalty
	if req.Logprobs {
		gc.ResponseLogprobs = true
		if req.TopLogprobs > 0 {
			n := req.TopLogprobs
			gc.Logprobs = &n
		}
	}
	if err := gc.setResponseFormat(req.ResponseFormat); err != nil {
		return err
	}
	if err := gc.setThinking(req.Model, req.ReasoningEffort); err != nil {
		return err
	}
	if err := gc.setExtra(req.Extra); err != nil {
		return err
	}
	if !gc.isZero() {
		w.GenerationConfig = gc
	}
	return nil
}

// isZero reports whether gc would send nothing, as generationConfig
// decides for the basic fields.
func (gc *GenerationConfig) isZero() bool {
	return gc.Temperature == nil && gc.TopP == nil && gc.MaxOutputTokens == 0 && len(gc.StopSequences) == 0 &&
		gc.TopK == nil && gc.Seed == nil && gc.PresencePenalty == nil && gc.FrequencyPenalty == nil &&
		gc.ResponseMimeType == "" && gc.ResponseJSONSchema == nil && gc.ThinkingConfig == nil && !gc.ResponseLogprobs
}

func (gc *GenerationConfig) setResponseFormat(rf *provider.ResponseFormat) error {
	if rf == nil {
		return nil
	}
	switch rf.Type {
	case "", "text":
		return nil
	case "json_object":
		gc.ResponseMimeType = "application/json"
		return nil
	case "json_schema":
	default:
		return provider.UnsupportedParam("response_format.type", "%q has no Gemini equivalent (text, json_object, json_schema)", rf.Type)
	}
	var js struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(rf.JSONSchema, &js); err != nil {
		return provider.UnsupportedParam("response_format.json_schema", "is not a JSON object: %v", err)
	}
	gc.ResponseMimeType = "application/json"
	schema := bytes.TrimSpace(js.Schema)
	if len(schema) == 0 || string(schema) == "null" {
		return nil // any JSON, as OpenAI does without a schema
	}
	if schema[0] != '{' {
		return provider.UnsupportedParam("response_format.json_schema.schema", "must be a JSON schema object")
	}
	// responseJsonSchema takes standard JSON Schema as sent (unlike
	// responseSchema's OpenAPI subset), so nothing needs translating.
	gc.ResponseJSONSchema = compact(string(schema))
	return nil
}

// budgets are the thinking budgets Google's own OpenAI-compatible
// endpoint uses for reasoning_effort on Gemini 2.5. OpenAI's efforts
// above high ask for more than high: they get the model's largest
// budget (see maxBudget).
var budgets = map[string]int{"none": 0, "minimal": 1024, "low": 1024, "medium": 8192, "high": 24576, "xhigh": -1, "max": -1}

// maxBudget is the largest thinking budget a Gemini 2.5 model takes:
// 32768 for Pro, 24576 for Flash and Flash-Lite.
func maxBudget(model string) int {
	if strings.Contains(model, "-pro") {
		return 32768
	}
	return 24576
}

func (gc *GenerationConfig) setThinking(model, effort string) error {
	if effort == "" {
		return nil
	}
	budget, known := budgets[effort]
	if !known {
		return provider.UnsupportedParam("reasoning_effort", "%q has no Gemini equivalent (none, minimal, low, medium, high, xhigh, max)", effort)
	}
	m := strings.TrimPrefix(model, "models/")
	switch {
	case requiresCallSignatures(m):
		// Gemini 3 and later think in levels and cannot stop thinking:
		// "none" gets the least there is.
		level := effort
		switch level {
		case "none":
			level = "minimal"
		case "xhigh", "max":
			level = "high"
		}
		gc.ThinkingConfig = &ThinkingConfig{ThinkingLevel: level}
	case strings.HasPrefix(m, "gemini-2.5"):
		if budget < 0 {
			budget = maxBudget(m)
		}
		gc.ThinkingConfig = &ThinkingConfig{ThinkingBudget: &budget}
	}
	// Older models do not think; a thinkingConfig would be refused.
	return nil
}

func (gc *GenerationConfig) setExtra(extra map[string]json.RawMessage) error {
	if len(extra) == 0 {
		return nil
	}
	if v, ok := extra["top_k"]; ok && !isNull(v) {
		k, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil || k < 1 {
			return provider.UnsupportedParam("top_k", "must be a positive integer for Gemini, got %s", bytes.TrimSpace(v))
		}
		gc.TopK = &k
	}
	// Fixed order, so a request with several always reports the same one.
	if v, ok := extra["logit_bias"]; ok && !isNull(v) && !isEmptyObject(v) {
		return provider.UnsupportedParam("logit_bias", "has no Gemini equivalent")
	}
	if v, ok := extra["web_search_options"]; ok && !isNull(v) {
		return provider.UnsupportedParam("web_search_options", "is not supported for Gemini models through this gateway")
	}
	if v, ok := extra["moderation"]; ok && !isNull(v) {
		return provider.UnsupportedParam("moderation", "OpenAI's moderation policies cannot be applied to a Gemini answer")
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func isEmptyObject(v json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(v, &m) == nil && len(m) == 0
}
