package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// Signatures as they appear in the recorded shapes under testdata.
const (
	sigParallel = "EpsFCpgFAdHtim8Qx3kJ0r3WzV7yq5dR2fN1aLwKcE6uT4pB8mZs0vYhG9jXoQ1nI2eR7tU3w=="
	sigTrailing = "CroCAdHtim8vN2kPq5sYw7eX0cR3bTgL9uJf4Hd1oZa6WmK8iVyE5nQ2lSxG7tB0rU3cA=="
	sigText     = "Eu0DCuoDAdHtim9bT5rLx0Yc2wQe8JkVn4ZpHs3uA7gD1fMqR6oWy9tKcE2vB5nXiP0lU8jG=="
	sigTextSSE  = "EqQDCqEDAdHtim9Wm3xKc8Lr1Tz0pYb6FgN2vJs5eQhA7uD4oR9iXkC0wG3nB8tE1lZ2yM5sP=="
	sig25       = "CiIBVKhc7oDgR0kfkPI0J0EcB3zsSiAO0U3HqTBRZ1MQ0pEF"
)

// streamAll reads a stream to the end, keeping the text and the final chunk
// (which carries the calls and the text signature).
func streamAll(t *testing.T, s provider.Stream) (string, provider.Chunk) {
	t.Helper()
	defer s.Close()
	var text string
	var last provider.Chunk
	for {
		c, err := s.Recv()
		if err == io.EOF {
			return text, last
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Signature != "" && c.FinishReason == "" {
			t.Errorf("signature on a non-final chunk: %+v", c)
		}
		text += c.Text
		last = c
	}
}

type wantCall struct{ name, sig string }

func TestSignaturesFromUpstream(t *testing.T) {
	tests := []struct {
		name    string
		fixture string // .json: generateContent; .sse: streamGenerateContent
		text    string
		textSig string
		calls   []wantCall
	}{
		{name: "gemini 3 parallel calls sign the first", fixture: "responses/gemini3_parallel_calls.json",
			calls: []wantCall{{"get_weather", sigParallel}, {"get_weather", ""}}},
		{name: "gemini 3 parallel calls streamed", fixture: "streams/gemini3_parallel_calls.sse",
			calls: []wantCall{{"get_weather", sigParallel}, {"get_weather", ""}}},
		{name: "signature on a trailing empty part goes to the call", fixture: "responses/function_call_trailing_signature.json",
			calls: []wantCall{{"search_flights", sigTrailing}}},
		{name: "streamed signature after the call goes to the call", fixture: "streams/function_call_trailing_signature.sse",
			calls: []wantCall{{"search_flights", sigTrailing}}},
		{name: "text signed on its last part", fixture: "responses/gemini3_text_signed.json",
			text: "It is 18 °C and sunny in Paris, and 12 °C with light rain in London.", textSig: sigText},
		{name: "streamed text signed by a final empty part", fixture: "streams/text_signed.sse",
			text: "It is 18 °C and sunny in Paris, and 12 °C with light rain in London.", textSig: sigTextSSE},
		{name: "gemini 2.5 call", fixture: "streams/function_call.sse",
			calls: []wantCall{{"get_weather", sig25}}},
		{name: "unsigned text", fixture: "streams/text.sse", text: "Canberra is the capital of Australia."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := pt.MustRead(t, "testdata/"+tc.fixture)
			var text, sig string
			var calls []provider.ToolCall
			if tc.fixture[len(tc.fixture)-4:] == ".sse" {
				u := pt.NewUpstream(t, sseReply(body))
				s, err := newClient(u, nil).Stream(context.Background(), ask("gemini-3-pro-preview"))
				if err != nil {
					t.Fatal(err)
				}
				var final provider.Chunk
				text, final = streamAll(t, s)
				sig, calls = final.Signature, final.ToolCalls
			} else {
				u := pt.NewUpstream(t, jsonReply(200, body))
				resp, err := newClient(u, nil).Complete(context.Background(), ask("gemini-3-pro-preview"))
				if err != nil {
					t.Fatal(err)
				}
				text, sig, calls = resp.Text, resp.Signature, resp.ToolCalls
			}
			if text != tc.text || sig != tc.textSig {
				t.Errorf("text %q signed %q, want %q signed %q", text, sig, tc.text, tc.textSig)
			}
			if len(calls) != len(tc.calls) {
				t.Fatalf("calls = %+v, want %d", calls, len(tc.calls))
			}
			for i, w := range tc.calls {
				if calls[i].Name != w.name || calls[i].Signature != w.sig {
					t.Errorf("call %d = %+v, want %s signed %q", i, calls[i], w.name, w.sig)
				}
			}
		})
	}
}

// sentModelTurns decodes the request the fake upstream received and returns
// its model turns.
func sentModelTurns(t *testing.T, r pt.Recorded) []Content {
	t.Helper()
	var w GenerateContentRequest
	if err := json.Unmarshal(r.Body, &w); err != nil {
		t.Fatalf("request body: %v", err)
	}
	var out []Content
	for _, c := range w.Contents {
		if c.Role == "model" {
			out = append(out, c)
		}
	}
	return out
}

func assistantTurn(text, sig string, calls []provider.ToolCall) provider.Message {
	return provider.Message{Role: "assistant", Content: text, Signature: sig, ToolCalls: calls}
}

func toolResults(calls []provider.ToolCall, result string) []provider.Message {
	var out []provider.Message
	for _, c := range calls {
		out = append(out, provider.Message{Role: "tool", ToolCallID: c.ID, Content: result})
	}
	return out
}

// TestSignatureRoundTrip runs a Gemini 3 tool loop through the real client:
// each answer's signatures, as the neutral types expose them, are fed back
// as the next request's history, and the bodies the upstream receives must
// carry every signature unchanged on the part it came with.
func TestSignatureRoundTrip(t *testing.T) {
	u := pt.NewUpstream(t,
		jsonReply(200, pt.MustRead(t, "testdata/responses/gemini3_parallel_calls.json")),
		sseReply(pt.MustRead(t, "testdata/streams/function_call_trailing_signature.sse")),
		sseReply(pt.MustRead(t, "testdata/streams/text_signed.sse")),
		jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
	c := newClient(u, nil)
	ctx := context.Background()
	req := ask("gemini-3-pro-preview")

	r1, err := c.Complete(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Messages = append(req.Messages, assistantTurn(r1.Text, r1.Signature, r1.ToolCalls))
	req.Messages = append(req.Messages, toolResults(r1.ToolCalls, `{"temp_c": 18}`)...)

	s, err := c.Stream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	text2, f2 := streamAll(t, s)
	req.Messages = append(req.Messages, assistantTurn(text2, f2.Signature, f2.ToolCalls))
	req.Messages = append(req.Messages, toolResults(f2.ToolCalls, "LX 638, CHF 89")...)

	s, err = c.Stream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	text3, f3 := streamAll(t, s)
	req.Messages = append(req.Messages, assistantTurn(text3, f3.Signature, nil),
		provider.Message{Role: "user", Content: "Thanks. And tomorrow?"})
	if _, err := c.Complete(ctx, req); err != nil {
		t.Fatal(err)
	}

	// What each request must have carried on its model turns' parts, in
	// order: the signature of each part ("" for an unsigned one).
	want := [][][]string{
		nil,
		{{sigParallel, ""}},
		{{sigParallel, ""}, {sigTrailing}},
		{{sigParallel, ""}, {sigTrailing}, {sigTextSSE}},
	}
	if u.Calls() != len(want) {
		t.Fatalf("upstream saw %d requests, want %d", u.Calls(), len(want))
	}
	for i, turns := range want {
		got := sentModelTurns(t, u.Request(i))
		if len(got) != len(turns) {
			t.Fatalf("request %d: %d model turns, want %d", i, len(got), len(turns))
		}
		for j, parts := range turns {
			if len(got[j].Parts) != len(parts) {
				t.Fatalf("request %d turn %d: %d parts, want %d", i, j, len(got[j].Parts), len(parts))
			}
			for k, sig := range parts {
				if got[j].Parts[k].ThoughtSignature != sig {
					t.Errorf("request %d turn %d part %d: signature %q, want %q", i, j, k, got[j].Parts[k].ThoughtSignature, sig)
				}
			}
		}
	}
	last := sentModelTurns(t, u.Request(3))
	if p := last[0].Parts[0]; p.FunctionCall == nil || p.FunctionCall.Name != "get_weather" {
		t.Errorf("first model turn starts with %+v, want the signed get_weather call", p)
	}
	if p := last[2].Parts[0]; p.Text != text3 || p.FunctionCall != nil {
		t.Errorf("last model turn = %+v, want the signed text %q", p, text3)
	}
}

func TestAnswerSignatures(t *testing.T) {
	fc := func(name, sig string) Part {
		return Part{FunctionCall: &FunctionCall{Name: name, Args: json.RawMessage(`{}`)}, ThoughtSignature: sig}
	}
	tests := []struct {
		name    string
		events  [][]Part // one slice per stream event
		text    string
		textSig string
		calls   []wantCall
	}{
		{name: "none", events: [][]Part{{{Text: "a"}}, {{Text: "b"}}}, text: "ab"},
		{name: "text part signed", events: [][]Part{{{Text: "a"}, {Text: "b", ThoughtSignature: "S"}}}, text: "ab", textSig: "S"},
		{name: "signature-only part signs the text", events: [][]Part{{{Text: "a"}}, {{ThoughtSignature: "S"}}}, text: "a", textSig: "S"},
		{name: "signature on the text wins over a loose one", events: [][]Part{{{Text: "a", ThoughtSignature: "T"}}, {{ThoughtSignature: "L"}}},
			text: "a", textSig: "T"},
		{name: "thought summary signature with no call signs the text", events: [][]Part{{{Text: "plan", Thought: true, ThoughtSignature: "S"}}, {{Text: "x"}}},
			text: "x", textSig: "S"},
		{name: "loose signature goes to an unsigned first call", events: [][]Part{{fc("f", ""), fc("g", "")}, {{Text: "", ThoughtSignature: "S"}}},
			calls: []wantCall{{"f", "S"}, {"g", ""}}},
		{name: "loose signature never moves to a later call", events: [][]Part{{fc("f", "F"), fc("g", "")}, {{ThoughtSignature: "S"}}},
			textSig: "S", calls: []wantCall{{"f", "F"}, {"g", ""}}},
		{name: "text before a call keeps its own signature", events: [][]Part{{{Text: "Let me look.", ThoughtSignature: "T"}, fc("f", "")}},
			text: "Let me look.", textSig: "T", calls: []wantCall{{"f", ""}}},
		{name: "calls across events each keep theirs", events: [][]Part{{fc("f", "F")}, {fc("g", "G")}},
			calls: []wantCall{{"f", "F"}, {"g", "G"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			for _, ev := range tc.events {
				a.add(ev)
			}
			sig, calls := a.finish()
			if a.text.String() != tc.text || sig != tc.textSig {
				t.Errorf("text %q signed %q, want %q signed %q", a.text.String(), sig, tc.text, tc.textSig)
			}
			if len(calls) != len(tc.calls) {
				t.Fatalf("calls = %+v, want %d", calls, len(tc.calls))
			}
			for i, w := range tc.calls {
				if calls[i].Name != w.name || calls[i].Signature != w.sig {
					t.Errorf("call %d = %+v, want %s signed %q", i, calls[i], w.name, w.sig)
				}
			}
		})
	}
}

func TestToWireAssistantSignatures(t *testing.T) {
	call := func(id, sig string) provider.ToolCall {
		return provider.ToolCall{ID: id, Name: "f", Arguments: "{}", Signature: sig}
	}
	tests := []struct {
		name string
		msg  provider.Message
		want []string // signature per part sent
	}{
		{name: "text", msg: provider.Message{Content: "hi", Signature: "S"}, want: []string{"S"}},
		{name: "text and calls", msg: provider.Message{Content: "hi", Signature: "S", ToolCalls: []provider.ToolCall{call("a", "A"), call("b", "")}},
			want: []string{"S", "A", ""}},
		{name: "turn signature without text goes to the unsigned first call", msg: provider.Message{Signature: "S", ToolCalls: []provider.ToolCall{call("a", ""), call("b", "")}},
			want: []string{"S", ""}},
		{name: "a signed first call keeps its own", msg: provider.Message{Signature: "S", ToolCalls: []provider.ToolCall{call("a", "A"), call("b", "")}},
			want: []string{"A", ""}},
		{name: "unsigned", msg: provider.Message{Content: "hi", ToolCalls: []provider.ToolCall{call("a", "")}}, want: []string{"", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.msg
			m.Role = "assistant"
			w, err := ToWire(&provider.Request{Messages: []provider.Message{{Role: "user", Content: "q"}, m}})
			if err != nil {
				t.Fatal(err)
			}
			parts := w.Contents[1].Parts
			if len(parts) != len(tc.want) {
				t.Fatalf("parts = %+v, want %d", parts, len(tc.want))
			}
			for i, sig := range tc.want {
				if parts[i].ThoughtSignature != sig {
					t.Errorf("part %d signature %q, want %q", i, parts[i].ThoughtSignature, sig)
				}
			}
		})
	}
}

func TestRequiresCallSignatures(t *testing.T) {
	tests := []struct {
		model string
		want  bool
	}{
		{"gemini-3-pro-preview", true}, {"models/gemini-3-flash-preview", true}, {"gemini-3.1-flash-lite", true},
		{"gemini-flash-latest", true},
		{"gemini-2.5-flash", false}, {"gemini-2.0-flash", false}, {"models/gemini-1.5-pro", false},
		{"gemini-pro", false}, {"gemma-3-27b-it", false}, {"", false},
	}
	for _, tc := range tests {
		if got := requiresCallSignatures(tc.model); got != tc.want {
			t.Errorf("requiresCallSignatures(%q) = %v, want %v", tc.model, got, tc.want)
		}
	}
}

func TestPlaceholderSignatures(t *testing.T) {
	call := func(id, sig string) provider.ToolCall {
		return provider.ToolCall{ID: id, Name: "f", Arguments: "{}", Signature: sig}
	}
	step := func(text string, calls ...provider.ToolCall) []provider.Message {
		return append([]provider.Message{{Role: "assistant", Content: text, ToolCalls: calls}}, toolResults(calls, "ok")...)
	}
	user := provider.Message{Role: "user", Content: "go"}
	P := PlaceholderSignature
	tests := []struct {
		name   string
		model  string
		msgs   []provider.Message
		want   [][]string // signatures of each model turn's parts
		filled int
	}{
		{name: "gemini 3 unsigned step", model: "gemini-3-pro-preview",
			msgs: append([]provider.Message{user}, step("", call("a", ""))...), want: [][]string{{P}}, filled: 1},
		{name: "gemini 2.5 left alone", model: "gemini-2.5-flash",
			msgs: append([]provider.Message{user}, step("", call("a", ""))...), want: [][]string{{""}}},
		{name: "a real signature is kept", model: "gemini-3-pro-preview",
			msgs: append([]provider.Message{user}, step("", call("a", "S"))...), want: [][]string{{"S"}}},
		{name: "only the first parallel call", model: "gemini-3-pro-preview",
			msgs: append([]provider.Message{user}, step("", call("a", ""), call("b", ""))...), want: [][]string{{P, ""}}, filled: 1},
		{name: "the call, not the text before it", model: "gemini-3-pro-preview",
			msgs: append([]provider.Message{user}, step("Checking.", call("a", ""))...), want: [][]string{{"", P}}, filled: 1},
		{name: "every step of the current turn", model: "gemini-3-pro-preview",
			msgs: append(append([]provider.Message{user}, step("", call("a", ""))...), step("", call("b", ""))...),
			want: [][]string{{P}, {P}}, filled: 2},
		{name: "earlier turns are not validated", model: "gemini-3-pro-preview",
			msgs: append(append(append([]provider.Message{user}, step("", call("a", ""))...), user), step("", call("b", ""))...),
			want: [][]string{{""}, {P}}, filled: 1},
		{name: "a finished turn needs nothing", model: "gemini-3-pro-preview",
			msgs: append(append([]provider.Message{user}, step("", call("a", ""))...), provider.Message{Role: "assistant", Content: "done"}, user),
			want: [][]string{{""}, {""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, filled, err := toWire(&provider.Request{Model: tc.model, Messages: tc.msgs})
			if err != nil {
				t.Fatal(err)
			}
			if filled != tc.filled {
				t.Errorf("filled %d, want %d", filled, tc.filled)
			}
			var got [][]string
			for _, c := range w.Contents {
				if c.Role != "model" {
					continue
				}
				var sigs []string
				for _, p := range c.Parts {
					sigs = append(sigs, p.ThoughtSignature)
				}
				got = append(got, sigs)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("model turn signatures = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPlaceholderThroughClient: a tool loop that another upstream began,
// continued on Gemini 3: the request on the wire carries the placeholder,
// and the client says so at debug level.
func TestPlaceholderThroughClient(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/gemini3_text_signed.json")))
	var logs bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(u, func(c *Config) { c.Logger = lg })
	req := ask("gemini-3-pro-preview")
	calls := []provider.ToolCall{{ID: "call_x1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}
	req.Messages = append(req.Messages, assistantTurn("", "", calls))
	req.Messages = append(req.Messages, toolResults(calls, `{"temp_c": 18}`)...)
	if _, err := c.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	turns := sentModelTurns(t, u.Request(0))
	if len(turns) != 1 || turns[0].Parts[0].ThoughtSignature != PlaceholderSignature {
		t.Fatalf("model turns sent = %+v, want the call signed with the placeholder", turns)
	}
	if !strings.Contains(logs.String(), "placeholder thought signatures") || !strings.Contains(logs.String(), "calls=1") {
		t.Errorf("log = %q", logs.String())
	}
	if strings.Contains(logs.String(), testKey) {
		t.Error("log leaks the API key")
	}
}
