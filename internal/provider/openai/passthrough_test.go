package openai

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// signedHistory is a Gemini tool loop as a client replays it: a signed
// call, an unsigned parallel call, their results, and a signed text turn.
func signedHistory() []provider.Message {
	return []provider.Message{
		{Role: "user", Content: "Paris weather, Tokyo time?"},
		{Role: "assistant", ToolCalls: []provider.ToolCall{
			{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`, Signature: "CrICsig1"},
			{ID: "c2", Name: "get_time", Arguments: `{"tz":"Asia/Tokyo"}`}}},
		{Role: "tool", ToolCallID: "c1", Content: "18C"},
		{Role: "tool", ToolCallID: "c2", Content: "21:00"},
		{Role: "assistant", Content: "18C and 21:00.", Signature: "EjQtext"},
		{Role: "user", Content: "Thanks"},
	}
}

// TestRequestOptionsReachUpstream sends requests through the real client
// to a fake server and checks the body the server received: typed options
// under their OpenAI names, pass-through fields verbatim, fields the
// gateway owns never overridden, and Gemini signatures only to Gemini.
func TestRequestOptionsReachUpstream(t *testing.T) {
	seed, pres, freq := int64(9007199254740993), -0.5, 1.25
	tests := []struct {
		name   string
		model  string
		mod    func(*provider.Request)
		want   map[string]string // top-level field -> exact JSON
		absent []string          // top-level fields that must not be sent
		substr []string          // must appear in the body
		not    []string          // must not appear in the body
	}{
		{name: "common request sends nothing new", model: "gpt-4o-mini", mod: func(*provider.Request) {},
			absent: []string{"seed", "presence_penalty", "frequency_penalty", "response_format", "reasoning_effort", "user"},
			not:    []string{"extra_content"}},
		{name: "typed options", model: "gpt-4o-mini", mod: func(r *provider.Request) {
			r.Seed, r.PresencePenalty, r.FrequencyPenalty, r.ReasoningEffort = &seed, &pres, &freq, "low"
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema",
				JSONSchema: json.RawMessage(`{"name":"city", "strict":true, "schema":{"type":"object","properties":{"name":{"type":"string"}}}}`)}
		}, want: map[string]string{"seed": "9007199254740993", "presence_penalty": "-0.5", "frequency_penalty": "1.25",
			"reasoning_effort": `"low"`,
			"response_format":  `{"type":"json_schema","json_schema":{"name":"city","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"}}}}}`}},
		{name: "json_object", model: "gpt-4o-mini", mod: func(r *provider.Request) {
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_object"}
		}, want: map[string]string{"response_format": `{"type":"json_object"}`}},
		{name: "pass-through fields verbatim", model: "Qwen/Qwen2.5-7B-Instruct", mod: func(r *provider.Request) {
			r.Extra = map[string]json.RawMessage{"top_k": json.RawMessage(`40`), "logit_bias": json.RawMessage(`{"50256": -100}`),
				"user": json.RawMessage(`"u-42"`), "parallel_tool_calls": json.RawMessage(`false`),
				"metadata": json.RawMessage(`{"team":"search"}`), "min_p": json.RawMessage(`0.05`)}
		}, want: map[string]string{"top_k": "40", "logit_bias": `{"50256":-100}`, "user": `"u-42"`,
			"parallel_tool_calls": "false", "metadata": `{"team":"search"}`, "min_p": "0.05"}},
		{name: "owned fields not overridden", model: "gpt-4o-mini", mod: func(r *provider.Request) {
			r.MaxTokens = 50
			r.Extra = map[string]json.RawMessage{"model": json.RawMessage(`"gpt-4o"`), "stream": json.RawMessage(`true`),
				"max_tokens": json.RawMessage(`9999`), "messages": json.RawMessage(`[]`), "seed": json.RawMessage(`1`)}
		}, want: map[string]string{"model": `"gpt-4o-mini"`, "max_tokens": "50"}, absent: []string{"stream", "seed"}},
		{name: "signatures to a gemini model", model: "gemini-3-flash-preview", mod: func(r *provider.Request) {
			r.Messages = signedHistory()
		}, substr: []string{
			`{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"CrICsig1"}}}`,
			`{"id":"c2","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"Asia/Tokyo\"}"}}`,
			`{"role":"assistant","content":"18C and 21:00.","extra_content":{"google":{"thought_signature":"EjQtext"}}}`}},
		{name: "vertex model name", model: "google/gemini-2.5-flash", mod: func(r *provider.Request) {
			r.Messages = signedHistory()
		}, substr: []string{`"thought_signature":"CrICsig1"`, `"thought_signature":"EjQtext"`}},
		{name: "no signatures to other models", model: "gpt-4o", mod: func(r *provider.Request) {
			r.Messages = signedHistory()
		}, not: []string{"extra_content", "thought_signature"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
			req := ask(tc.model)
			tc.mod(req)
			if _, err := newClient(u, nil).Complete(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			body := u.Request(0).Body
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(body, &fields); err != nil {
				t.Fatalf("upstream got invalid JSON: %v\n%s", err, body)
			}
			for k, want := range tc.want {
				if got := string(fields[k]); got != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
			for _, k := range tc.absent {
				if v, ok := fields[k]; ok {
					t.Errorf("%s sent (%s)", k, v)
				}
			}
			for _, s := range tc.substr {
				if !strings.Contains(string(body), s) {
					t.Errorf("body lacks %s\n%s", s, body)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(string(body), s) {
					t.Errorf("body has %s\n%s", s, body)
				}
			}
		})
	}
}

// The gemini_compat fixtures are hand-written in the shape Google
// documents for its OpenAI-compatible endpoint (signatures under
// extra_content.google), not recorded from it.

func TestCompleteReadsGeminiCompatSignatures(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/gemini_compat_signatures.json")))
	resp, err := newClient(u, nil).Complete(context.Background(), ask("gemini-3-flash-preview"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Signature != "EjQKMgEMtextSignature==" || len(resp.ToolCalls) != 2 ||
		resp.ToolCalls[0].Signature != "CrICAdHtim8firstCall+/=" || resp.ToolCalls[1].Signature != "" {
		t.Fatalf("resp = %+v", resp)
	}
}

func TestStreamReadsGeminiCompatSignatures(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/gemini_compat_signatures.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("gemini-3-flash-preview"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var text strings.Builder
	chunks := pt.Chunks(t, s)
	for _, c := range chunks {
		text.WriteString(c.Text)
	}
	last := chunks[len(chunks)-1]
	if text.String() != "Let me look both up." || last.Signature != "EjQKMgEMtextSignature==" || last.FinishReason != "tool_calls" ||
		len(last.ToolCalls) != 2 || last.ToolCalls[0].Signature != "CrICAdHtim8firstCall+/=" || last.ToolCalls[1].Signature != "" {
		t.Fatalf("text %q, final chunk %+v", text.String(), last)
	}
}
