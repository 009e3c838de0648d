package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// TestOptionsReachGenerationConfig sends OpenAI options through the real
// client to a fake server and checks the generationConfig it received.
func TestOptionsReachGenerationConfig(t *testing.T) {
	seed, bigSeed, pres, freq := int64(42), int64(1)<<40+7, 0.5, -1.0
	tests := []struct {
		name  string
		model string
		mod   func(*provider.Request)
		want  string // generationConfig as sent; "" for none
	}{
		{"nothing", "gemini-2.5-flash", func(*provider.Request) {}, ""},
		{"harmless extras ignored", "gemini-2.5-flash", func(r *provider.Request) {
			r.Extra = map[string]json.RawMessage{"user": raw(`"u"`), "metadata": raw(`{"a":"b"}`), "parallel_tool_calls": raw(`false`),
				"service_tier": raw(`"auto"`), "logprobs": raw(`false`), "top_logprobs": raw(`0`), "logit_bias": raw(`{}`), "min_p": raw(`0.1`)}
		}, ""},
		{"seed and penalties", "gemini-2.5-flash", func(r *provider.Request) {
			r.Seed, r.PresencePenalty, r.FrequencyPenalty = &seed, &pres, &freq
		}, `{"seed":42,"presencePenalty":0.5,"frequencyPenalty":-1}`},
		{"64-bit seed keeps its low 32 bits", "gemini-2.5-flash", func(r *provider.Request) { r.Seed = &bigSeed }, `{"seed":7}`},
		{"top_k with the basics", "gemini-2.5-flash", func(r *provider.Request) {
			r.TopP, r.MaxTokens, r.Extra = &pres, 100, map[string]json.RawMessage{"top_k": raw(`40`)}
		}, `{"topP":0.5,"maxOutputTokens":100,"topK":40}`},
		{"json_object", "gemini-2.5-flash", func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_object"}
		}, `{"responseMimeType":"application/json"}`},
		{"json_schema", "gemini-2.5-flash", func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema", JSONSchema: raw(`{"name":"city","strict":true,
				"schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}`)}
		}, `{"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}`},
		{"json_schema without schema", "gemini-2.5-flash", func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema", JSONSchema: raw(`{"name":"any"}`)}
		}, `{"responseMimeType":"application/json"}`},
		{"text format", "gemini-2.5-flash", func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "text"}
		}, ""},
		{"effort on 2.5 is a budget", "gemini-2.5-pro", func(r *provider.Request) { r.ReasoningEffort = "medium" },
			`{"thinkingConfig":{"thinkingBudget":8192}}`},
		{"none on 2.5 turns thinking off", "gemini-2.5-flash", func(r *provider.Request) { r.ReasoningEffort = "none" },
			`{"thinkingConfig":{"thinkingBudget":0}}`},
		{"effort on 3 is a level", "gemini-3-pro-preview", func(r *provider.Request) { r.ReasoningEffort = "low" },
			`{"thinkingConfig":{"thinkingLevel":"low"}}`},
		{"none on 3 is minimal", "models/gemini-3-flash-preview", func(r *provider.Request) { r.ReasoningEffort = "none" },
			`{"thinkingConfig":{"thinkingLevel":"minimal"}}`},
		{"no thinking on 2.0", "gemini-2.0-flash", func(r *provider.Request) { r.ReasoningEffort = "high" }, ""},
		{"max on 2.5 Pro is its largest budget", "gemini-2.5-pro", func(r *provider.Request) { r.ReasoningEffort = "max" },
			`{"thinkingConfig":{"thinkingBudget":32768}}`},
		{"xhigh on 2.5 Flash is its largest budget", "gemini-2.5-flash", func(r *provider.Request) { r.ReasoningEffort = "xhigh" },
			`{"thinkingConfig":{"thinkingBudget":24576}}`},
		{"xhigh on 3 is high", "gemini-3-pro-preview", func(r *provider.Request) { r.ReasoningEffort = "xhigh" },
			`{"thinkingConfig":{"thinkingLevel":"high"}}`},
		{"logprobs", "gemini-2.5-flash", func(r *provider.Request) { r.Logprobs = true }, `{"responseLogprobs":true}`},
		{"top_logprobs", "gemini-2.5-flash", func(r *provider.Request) { r.Logprobs, r.TopLogprobs = true, 3 },
			`{"responseLogprobs":true,"logprobs":3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
			req := ask(tc.model)
			tc.mod(req)
			if _, err := newClient(u, nil).Complete(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			var body struct {
				GenerationConfig json.RawMessage `json:"generationConfig"`
			}
			if err := json.Unmarshal(u.Request(0).Body, &body); err != nil {
				t.Fatal(err)
			}
			if got := string(body.GenerationConfig); got != tc.want {
				t.Errorf("generationConfig = %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestOptionsRefused: what Gemini cannot honour without changing the
// answer is a 400 naming the parameter, before any upstream call.
func TestOptionsRefused(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*provider.Request)
		param string
	}{
		{"logit_bias", func(r *provider.Request) {
			r.Extra = map[string]json.RawMessage{"logit_bias": raw(`{"50256":-100}`), "user": raw(`"u"`)}
		}, "logit_bias"},
		{"moderation", func(r *provider.Request) {
			r.Extra = map[string]json.RawMessage{"moderation": raw(`{"model":"omni-moderation-latest"}`)}
		}, "moderation"},
		{"web search", func(r *provider.Request) {
			r.Extra = map[string]json.RawMessage{"web_search_options": raw(`{}`)}
		}, "web_search_options"},
		{"bad top_k", func(r *provider.Request) { r.Extra = map[string]json.RawMessage{"top_k": raw(`-1`)} }, "top_k"},
		{"unknown effort", func(r *provider.Request) { r.ReasoningEffort = "extreme" }, "reasoning_effort"},
		{"unknown format", func(r *provider.Request) { r.ResponseFormat = &provider.ResponseFormat{Type: "xml"} }, "response_format.type"},
		{"schema not an object", func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema", JSONSchema: raw(`{"name":"x","schema":true}`)}
		}, "response_format.json_schema.schema"},
		{"json_schema not an object", func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema", JSONSchema: raw(`[]`)}
		}, "response_format.json_schema"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t)
			req := ask("gemini-2.5-flash")
			tc.mod(req)
			for _, call := range []func() error{
				func() error { _, err := newClient(u, nil).Complete(context.Background(), req); return err },
				func() error { _, err := newClient(u, nil).Stream(context.Background(), req); return err },
			} {
				err := call()
				var pe *provider.ParamError
				if !errors.As(err, &pe) || pe.Param != tc.param || apierr.CodeOf(err) != apierr.Invalid {
					t.Fatalf("err = %v, want a ParamError for %s", err, tc.param)
				}
			}
			if u.Calls() != 0 {
				t.Errorf("%d upstream calls for a refused request", u.Calls())
			}
		})
	}
}
