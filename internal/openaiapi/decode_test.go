package openaiapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recorded holds the upstream bodies the OpenAI-compatible client's tests
// replay: real replies of OpenAI, vLLM, Ollama and Gemini's endpoint.
const recorded = "../provider/openai/testdata/"

// decodeSeeds are bodies of every shape DecodeResponse meets, plus corner
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
	`{"usage":{"prompt_tokens":1,"cost_usd":0.000123}}`, `{"usage":{"cost_usd":null}}`, `{"usage":{"cost_usd":"0.1"}}`,
	`{"usage":{"cost_usd":1e400}}`, `{"usage":{"cost_usd":-0}}`, `{"usage":{"cost_usd":1,"cost_usd":2}}`,
}

func FuzzDecodeResponseMatchesEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	for _, pat := range []string{"responses/*.json", "bench/*.json", "errors/*.json"} {
		paths, _ := filepath.Glob(recorded + pat)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, want ChatResponse
		gerr := DecodeResponse(body, &got)
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
	paths, _ := filepath.Glob(recorded + "responses/*.json")
	bench, _ := filepath.Glob(recorded + "bench/response.json")
	for _, p := range append(paths, bench...) {
		if filepath.Ext(p) != ".json" || strings.HasSuffix(p, ".golden.json") {
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
