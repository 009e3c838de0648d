package openai

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// marshalReflect is the reference: what json.Marshal writes for w, then
// each Extra member whose name no struct field has, in key order, with
// its value as json.Marshal writes a json.RawMessage.
func marshalReflect(t testing.TB, w *openaiapi.ChatRequest) ([]byte, error) {
	t.Helper()
	type plain openaiapi.ChatRequest // without MarshalJSON, which is under test
	b, err := json.Marshal((*plain)(w))
	if err != nil || len(w.Extra) == 0 {
		return b, err
	}
	owned := structFieldNames()
	keys := make([]string, 0, len(w.Extra))
	for k := range w.Extra {
		if !owned[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	b = b[:len(b)-1]
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(w.Extra[k])
		if err != nil {
			return nil, err
		}
		b = append(append(append(append(b, ','), kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// structFieldNames are the JSON names of ChatRequest's fields, read from
// its tags.
func structFieldNames() map[string]bool {
	names := map[string]bool{}
	rt := reflect.TypeFor[openaiapi.ChatRequest]()
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "-" {
			names[name] = true
		}
	}
	return names
}

func assertSameEncoding(t testing.TB, w *openaiapi.ChatRequest) {
	t.Helper()
	want, werr := marshalReflect(t, w)
	got, err := w.AppendJSON([]byte("prefix"))
	if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
		t.Fatalf("error %v, json.Marshal %v", err, werr)
	}
	if err == nil && (!bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[6:], want)) {
		t.Fatalf("AppendJSON:\n%s\njson.Marshal:\n%s", got, want)
	}
}

// TestAppendJSONMatchesMarshal covers every golden request and the field
// shapes ToWire never produces but the exported type allows.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	ins, _ := filepath.Glob("testdata/requests/*.in.json")
	ins = append(ins, "testdata/bench/request.in.json")
	for _, in := range ins {
		t.Run(filepath.Base(in), func(t *testing.T) {
			var req provider.Request
			if err := json.Unmarshal(mustRead(t, in), &req); err != nil {
				t.Fatal(err)
			}
			for _, stream := range []bool{false, true} {
				w, err := ToWire(&req, stream)
				if err != nil {
					t.Fatal(err)
				}
				assertSameEncoding(t, w)
			}
		})
	}
	one, nan := 1, math.NaN()
	text := "<b>&\u2028\xff"
	tests := []struct {
		name string
		w    openaiapi.ChatRequest
	}{
		{"zero", openaiapi.ChatRequest{}},
		{"empty messages", openaiapi.ChatRequest{Messages: []openaiapi.Message{}, Stop: []string{}, Tools: []openaiapi.Tool{}}},
		{"odd fields", openaiapi.ChatRequest{Model: text, Messages: []openaiapi.Message{{Content: &text, Name: "n",
			ToolCalls: []openaiapi.ToolCall{{Index: &one, Function: openaiapi.FunctionCall{Arguments: ""}}}}},
			StreamOptions: &openaiapi.StreamOptions{}, ToolChoice: &openaiapi.ToolChoice{}, N: 3}},
		{"tool choice value", openaiapi.ChatRequest{ToolChoice: &openaiapi.ToolChoice{Function: "<f>"}}},
		{"raw parameters", openaiapi.ChatRequest{Tools: []openaiapi.Tool{{Function: openaiapi.FunctionDecl{Parameters: json.RawMessage(" { \"a\" : \"<\u2028>\" } "), Strict: new(true)}}}}},
		{"bad parameters", openaiapi.ChatRequest{Tools: []openaiapi.Tool{{Function: openaiapi.FunctionDecl{Parameters: json.RawMessage("{x")}}}}},
		{"nan temperature", openaiapi.ChatRequest{Temperature: &nan}},
		{"tiny top_p", openaiapi.ChatRequest{TopP: new(1e-7)}},
		{"options", openaiapi.ChatRequest{Seed: new(int64(-9223372036854775808)), PresencePenalty: new(-2.0), FrequencyPenalty: new(1e-9),
			ResponseFormat: &openaiapi.ResponseFormat{Type: "json_schema", JSONSchema: json.RawMessage(` {"name":"<x>", "schema": {"type":"object"}} `)}, ReasoningEffort: "high"}},
		{"json_object", openaiapi.ChatRequest{ResponseFormat: &openaiapi.ResponseFormat{Type: "json_object"}}},
		{"bad schema", openaiapi.ChatRequest{ResponseFormat: &openaiapi.ResponseFormat{Type: "json_schema", JSONSchema: json.RawMessage(`{`)}}},
		{"nan penalty", openaiapi.ChatRequest{FrequencyPenalty: &nan}},
		{"extras", openaiapi.ChatRequest{Model: "m", Extra: map[string]json.RawMessage{
			"top_k": json.RawMessage(`40`), "user": json.RawMessage(`"u-1"`), "metadata": json.RawMessage(`{ "a" : "b c" }`),
			"logit_bias": json.RawMessage(`{"50256":-100}`), "html": json.RawMessage(`"<&>"`), "utf8": json.RawMessage("\"\u2028 é\""),
			"esc": json.RawMessage(`"\u003c"`), "null": nil, "model": json.RawMessage(`"override"`), "stream": json.RawMessage(`true`),
			"seed": json.RawMessage(`1`), "\u2028<key>": json.RawMessage(`[1,{"x":null}]`)}}},
		{"extra invalid", openaiapi.ChatRequest{Extra: map[string]json.RawMessage{"a": json.RawMessage(`1`), "b": json.RawMessage(`{x}`)}}},
		{"extra empty", openaiapi.ChatRequest{Extra: map[string]json.RawMessage{"a": {}}}},
		{"extra two values", openaiapi.ChatRequest{Extra: map[string]json.RawMessage{"a": json.RawMessage(`1 2`)}}},
		{"extra content shapes", openaiapi.ChatRequest{Messages: []openaiapi.Message{{Role: "assistant", ExtraContent: &openaiapi.ExtraContent{},
			ToolCalls: []openaiapi.ToolCall{{ExtraContent: &openaiapi.ExtraContent{Google: &openaiapi.GoogleExtra{}}}, {ExtraContent: openaiapi.SignatureExtra("s<>&\u2028")}}},
			{ExtraContent: openaiapi.SignatureExtra("Cq0B+/==")}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assertSameEncoding(t, &tc.w) })
	}
}

// FuzzAppendJSON builds requests from fuzzed text and numbers and checks
// the hand-written encoder against json.Marshal.
func FuzzAppendJSON(f *testing.F) {
	f.Add("gpt-4o", "Hello <world> & \"friends\"\n", "call_1", `{"a":1}`, 0.7, 256, true)
	f.Add("o3-mini", "\x00\x1f\u2028\u2029\xff\xfe", "", "", 1e-7, 0, false)
	f.Add("gemini-2.5-flash", "hi", "sig", `{"type":"object"}`, -1.5, 0, false)
	f.Fuzz(func(t *testing.T, model, content, id, args string, temp float64, maxTokens int, stream bool) {
		seed := int64(maxTokens)
		req := &provider.Request{Model: model, Temperature: &temp, TopP: &temp, MaxTokens: maxTokens, Stop: []string{content},
			Messages: []provider.Message{{Role: "system", Content: content}, {Role: "user", Content: content, Name: id},
				{Role: "assistant", ToolCalls: []provider.ToolCall{{ID: id, Name: content, Arguments: args, Signature: id}}, Signature: content},
				{Role: "tool", Content: args, ToolCallID: id}},
			Tools: []provider.Tool{{Name: content, Description: content, Parameters: json.RawMessage(args)}}, ToolChoice: content,
			Seed: &seed, PresencePenalty: &temp, ReasoningEffort: id,
			ResponseFormat: &provider.ResponseFormat{Type: content, JSONSchema: json.RawMessage(args)},
			Extra:          map[string]json.RawMessage{id: json.RawMessage(args), content: json.RawMessage(content), "top_k": json.RawMessage(id)}}
		w, err := ToWire(req, stream)
		if err != nil {
			return
		}
		assertSameEncoding(t, w)
	})
}

func TestMaxTokensField(t *testing.T) {
	tests := []struct {
		model     string
		maxTokens int
		want      string // the field sent, "" for none
	}{
		{"gpt-4o-mini", 256, "max_tokens"},
		{"gpt-4.1", 256, "max_tokens"},
		{"o1", 256, "max_completion_tokens"},
		{"o1-mini", 256, "max_completion_tokens"},
		{"o3-mini", 256, "max_completion_tokens"},
		{"o3", 256, "max_completion_tokens"},
		{"o4-mini", 256, "max_completion_tokens"},
		{"gpt-5", 256, "max_completion_tokens"},
		{"gpt-5-mini-2025-08-07", 256, "max_completion_tokens"},
		{"gpt-5-nano", 0, ""},
		{"llama3.2", 256, "max_tokens"},
		{"Qwen/Qwen2.5-7B-Instruct", 256, "max_tokens"},
		{"ollama/o1-lookalike", 256, "max_tokens"},
		{"gpt-4o", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			w, err := ToWire(&provider.Request{Model: tc.model, MaxTokens: tc.maxTokens,
				Messages: []provider.Message{{Role: "user", Content: "hi"}}}, false)
			if err != nil {
				t.Fatal(err)
			}
			body, err := w.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(body, &fields); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"max_tokens", "max_completion_tokens"} {
				v, ok := fields[f]
				if want := f == tc.want; ok != want || (ok && string(v) != "256") {
					t.Errorf("%s: %s present=%v value %s; want only %q", body, f, ok, v, tc.want)
				}
			}
			if strings.Count(string(body), "max_") > 1 {
				t.Errorf("both fields sent: %s", body)
			}
		})
	}
}
