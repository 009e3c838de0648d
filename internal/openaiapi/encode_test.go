package openaiapi

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// assertSameCompletion checks AppendJSON against json.Marshal, bytes and
// errors.
func assertSameCompletion(t testing.TB, c *ChatCompletion) {
	t.Helper()
	want, werr := json.Marshal(c)
	got, err := c.AppendJSON([]byte("prefix"))
	if (err == nil) != (werr == nil) {
		t.Fatalf("AppendJSON error %v, json.Marshal %v", err, werr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
		t.Fatalf("AppendJSON:\n%s\njson.Marshal:\n%s", got, want)
	}
}

func TestCompletionEncodingMatchesReflection(t *testing.T) {
	paths, _ := filepath.Glob("testdata/responses/*.json")
	paths = append(paths, "testdata/bench/response.json")
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			var resp provider.Response
			mustReadJSON(t, p, &resp)
			cost := 0.000123
			assertSameCompletion(t, FromResponse("chatcmpl-test", "gpt-4o-mini", 1700000000, &resp, &cost))
			assertSameCompletion(t, FromResponse("", "", -1, &resp, nil))
		})
	}
	refusal, idx, nan := "<no>", 3, math.NaN()
	tests := []struct {
		name string
		c    ChatCompletion
	}{
		{"zero", ChatCompletion{}},
		{"empty choices", ChatCompletion{Choices: []Choice{}}},
		{"every optional field", ChatCompletion{ID: "\u2028&", Choices: []Choice{{Index: 2, Logprobs: &struct{}{},
			Message: ResponseMessage{Refusal: &refusal, ToolCalls: []ToolCall{{Index: &idx}, {ID: "a", Type: "function", Function: FunctionCall{Name: "f", Arguments: "{\"x\":\"<\"}"}}}}}, {}},
			Usage: &Usage{PromptTokens: -1, CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 7}, CostUSD: new(1e-9)}}},
		{"nan cost", ChatCompletion{Usage: &Usage{CostUSD: &nan}}},
		{"extra content shapes", ChatCompletion{Choices: []Choice{{Message: ResponseMessage{ExtraContent: &ExtraContent{},
			ToolCalls: []ToolCall{{ExtraContent: &ExtraContent{Google: &GoogleExtra{}}}, {ExtraContent: SignatureExtra("<sig>&\u2028")}}}},
			{Message: ResponseMessage{ExtraContent: SignatureExtra("Cq0B+/==")}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assertSameCompletion(t, &tc.c) })
	}
}

// FuzzCompletionEncoding builds responses from fuzzed text and numbers
// and checks the hand-written encoder against encoding/json.
func FuzzCompletionEncoding(f *testing.F) {
	f.Add("The answer is <42> & \"more\"\n", "call_1", `{"a":"\u2028"}`, "stop", 12, 30, 0.00012)
	f.Add("\x00\x1f\xff\xfe\u2029", "", "", "", -1, 0, 1e21)
	f.Add("", "call_9", "{}", "tool_calls", 3, 1, 0.5)
	f.Fuzz(func(t *testing.T, text, id, args, finish string, in, thinking int, cost float64) {
		// Signatures are fuzzed too: text signs the answer, args the first call.
		resp := &provider.Response{Text: text, FinishReason: finish, Usage: provider.Usage{InputTokens: in, OutputTokens: in / 2, ThinkingTokens: thinking},
			Signature: finish}
		if id != "" {
			resp.ToolCalls = []provider.ToolCall{{ID: id, Name: text, Arguments: args, Signature: args}, {ID: args, Name: id}}
		}
		assertSameCompletion(t, FromResponse(id, finish, int64(in)*1e9, resp, &cost))
		assertSameCompletion(t, FromResponse(id, finish, 0, resp, nil))
	})
}

// BenchmarkAppendResponse is the encoding BenchmarkMarshalResponse
// measures, done with AppendJSON into a fresh buffer and into a reused one
// (server.respond pools its buffers).
func BenchmarkAppendResponse(b *testing.B) {
	resp := benchResponse(b)
	cost := 0.000123
	for _, reuse := range []bool{false, true} {
		name := map[bool]string{false: "fresh", true: "reused"}[reuse]
		b.Run(name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				out, err := FromResponse("chatcmpl-0123456789abcdef", "gpt-4o-mini", 1700000000, resp, &cost).AppendJSON(buf[:0])
				if err != nil {
					b.Fatal(err)
				}
				if reuse {
					buf = out
				}
			}
		})
	}
}

// structFieldNames are the JSON names of ChatRequest's fields, read from
// its tags, so ownedFields cannot drift from the struct unnoticed.
func structFieldNames() map[string]bool {
	names := map[string]bool{}
	rt := reflect.TypeFor[ChatRequest]()
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "-" {
			names[name] = true
		}
	}
	return names
}

func TestOwnedFieldsMatchStruct(t *testing.T) {
	if want := structFieldNames(); !reflect.DeepEqual(ownedFields, want) {
		t.Fatalf("ownedFields = %v\nChatRequest's fields = %v", ownedFields, want)
	}
}
