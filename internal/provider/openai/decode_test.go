package openai

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// decodeSeeds are bodies of every shape decodeResponse meets, plus corner
// cases where a hand-written decoder would most likely differ from
// encoding/json.
var decodeSeeds = []string{
	`{"choices":[{"message":{"content":"hi","tool_calls":[]}}],"usage":null}`,
	`{"choices":[null,{"delta":{"content":null,"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}`,
	`{"choices":[{"delta":{"tool_calls":[{"index":null,"id":"x","function":null}]}}],"usage":{"completion_tokens_details":null}}`,
	`{"Choices":[]}`, `{"choices":[],"choices":[{}]}`, `{"id":1}`, `{"created":1.5}`, `{"created":1e3}`, `{"created":-0}`,
	`{"created":99999999999999999999}`, `{"error":null}`, `{"error": {"message":"x"} }`, `{"error":"plain"}`,
	`{"\u0063hoices":[]}`, `{"model":"\ud83d\ude00 \u00e9\n\"q\""}`, "{\"model\":\"bad \xff utf8\"}", `{"usage":{"prompt_tokens":"3"}}`,
	`{"choices":[{"message":{"role":"assistant","content":"a","refusal":null,"annotations":[{"x":[1,2,{"y":true}]}]}}]}`,
	`{"id":"a"} x`, `{"id":"a",}`, `null`, ``, `[]`, `{"choices":[{"index":"0"}]}`, `{"choices":{}}`, `{"usage":{"ſompletion_tokens":1}}`,
	`{"choices":[{"message":{"content":"x","content":"y"}}]}`,
	`{"choices":[{"message":{"x":` + strings.Repeat("[", 9996) + strings.Repeat("]", 9996) + `}}]}`,
	`{"choices":[{"message":{"x":` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `}}]}`,
	`{"error":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"error":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, `{"choices":[{"message":null}]}`, `{"choices":[{"finish_reason":null}]}`,
	`{"choices":[{"message":{"content":"a","extra_content":{"google":{"thought_signature":"s\u0031","x":[1]},"other":{}}}}]}`,
	`{"choices":[{"message":{"content":null,"extra_content":null,"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"},"extra_content":{"google":null}}]}}]}`,
	`{"choices":[{"delta":{"tool_calls":[{"index":0,"extra_content":{"google":{"thought_signature":null}}}],"extra_content":{}}}]}`,
	`{"choices":[{"message":{"extra_content":{"google":{"thought_signature":"a","thought_signature":"b"}}}}]}`,
	`{"choices":[{"message":{"extra_content":{"Google":{"thought_signature":"a"}}}}]}`, `{"choices":[{"message":{"extra_content":"x"}}]}`,
	`{"choices":[{"message":{"extra_content":{"google":{"Thought_Signature":"a"}}}}]}`, `{"choices":[{"message":{"extra_content":{"google":[]}}}]}`,
}

func FuzzDecodeResponseMatchesEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	for _, pat := range []string{"testdata/responses/*.json", "testdata/bench/*.json", "testdata/errors/*.json"} {
		paths, _ := filepath.Glob(pat)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, want ChatResponse
		gerr := decodeResponse(body, &got)
		werr := json.Unmarshal(body, &want)
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("body %q: error %v, encoding/json %v", body, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("body %q:\n got %#v\nwant %#v", body, got, want)
		}
		var sgot ChatResponse
		serr := decodeResponseIn(body, string(body), &sgot)
		if (serr == nil) != (werr == nil) || !reflect.DeepEqual(sgot, want) {
			t.Fatalf("body %q from string: %#v, %v", body, sgot, serr)
		}
	})
}

// TestDecodeResponseFastPath checks that the recorded bodies are read by
// the hand-written decoder, not its encoding/json fallback: a silent
// fallback would pass every equality test and lose the speed.
func TestDecodeResponseFastPath(t *testing.T) {
	paths, _ := filepath.Glob("testdata/responses/*.json")
	bench, _ := filepath.Glob("testdata/bench/response.json")
	for _, p := range append(paths, bench...) {
		if filepath.Ext(p) != ".json" || len(p) > 12 && p[len(p)-12:] == ".golden.json" {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var w ChatResponse
			d := respDecoder{b: body}
			if !d.response(&w) {
				t.Fatalf("fell back to encoding/json at byte %d", d.i)
			}
		})
	}
	for _, s := range []string{`{"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}`, `{"error":{"message":"x"}}`} {
		var w ChatResponse
		if d := (respDecoder{b: []byte(s)}); !d.response(&w) {
			t.Errorf("fell back on %s", s)
		}
	}
}

// TestCompleteKeepsNoBodyReference: Complete reuses body buffers, so a
// response must own all its strings. The second reply overwrites the
// pooled buffer the first was read into.
func TestCompleteKeepsNoBodyReference(t *testing.T) {
	first := pt.MustRead(t, "testdata/responses/text.json")
	folded := []byte(strings.Replace(string(first), `"model"`, `"MODEL"`, 1)) // takes the encoding/json route
	second := pt.MustRead(t, "testdata/responses/tool_calls.json")            // longer: overwrites all of first
	if len(second) < len(first) {
		t.Fatal("fixture sizes changed")
	}
	for _, body := range [][]byte{first, folded} {
		u := pt.NewUpstream(t, jsonReply(200, body), jsonReply(200, second))
		c := newClient(u, nil)
		r1, err := c.Complete(context.Background(), ask("gpt-4o-mini"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Complete(context.Background(), ask("gpt-4o-mini")); err != nil {
			t.Fatal(err)
		}
		if r1.Text != "The capital of Australia is Canberra." || r1.Model != "gpt-4o-mini-2024-07-18" || r1.FinishReason != "stop" {
			t.Fatalf("first response changed after the second call: %+v", r1)
		}
	}
}
