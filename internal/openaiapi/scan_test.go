package openaiapi

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseBoth parses data with the hand-written decoding and with the
// encoding/json route it replaced, which must agree on the request and on
// the error, byte for byte.
func parseBoth(t *testing.T, data []byte) {
	t.Helper()
	got, gerr := ParseChatRequest(data)
	fastPaths = false
	want, werr := ParseChatRequest(data)
	fastPaths = true
	if (gerr == nil) != (werr == nil) || (gerr != nil && (gerr.Error() != werr.Error() || ParamOf(gerr) != ParamOf(werr))) {
		t.Fatalf("body %q:\nerror %v\nencoding/json route: %v", data, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q:\n got %#v\nwant %#v", data, got, want)
	}
}

var parseSeeds = []string{
	`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
	` {"model":"m","messages":[{"ROLE":"user","Content":"a\nb","role":"system"}],"temperature":0.5,"max_tokens":10,"stream":false} `,
	`{"model":"m","model":"n","messages":[{"role":"user","content":"x"}],"seed":1,"seed":2,"mod\u0065l2":{"a":[1,2]}}`,
	`{"model":"m","messages":[{"role":"user","content":"\ud83d\ude00 \u00e9 \"q\" <>&\u2028"}],"top_p":1e-400}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1e400}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"0.5"}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"true"}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b\tc"}]}]}`,
	`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}]}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b"],"n":1,"user":"u","response_format":{"type":"text"},"logprobs":false}`,
	`{"model":"m","messages":[]}`, `{"model":"m","messages":[1,"x"]}`, `{"model":"m","messages":{}}`, `{"messages":[]}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}]`, `{"model":"m",}`, `[]`, `"x"`, `null`, ``, `{}`, `{"a":1} {}`,
	"{\"model\":\"m\\xff\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}",
	`{"model":"m","messages":[{"role":"user","content":"x"}],"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	`{"model":"m","messages":[{"role":"user","content":"x","ſole":"system"}]}`,
	`{"model":"m","messages":[{"role":"assistant","content":"a","extra_content":{"google":{"thought_signature":"s1"}},"EXTRA_CONTENT":null}]}`,
	`{"model":"m","messages":[{"role":"assistant","content":"a","Extra_Content":{"google":{"thought_signature":"s\u0031"}}},{"role":"user","content":"b","extra_content":7}]}`,
	`{"model":"m","messages":[{"role":"assistant","content":null,"extra_content":{"google":null},"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"},"extra_content":{"google":{"thought_signature":"t"},"other":1}}]}]}`,
	`{"model":"m","messages":[{"role":"assistant","content":"a","extra_content":[]}]}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"seed":9223372036854775807,"presence_penalty":-2,"frequency_penalty":2,"reasoning_effort":"high"}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"seed":9223372036854775808}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"seed":-0}`, `{"model":"m","messages":[{"role":"user","content":"x"}],"seed":1e3}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"seed":1.0}`, `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":1}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"top_k":5,"logit_bias":{"1":2},"user":"u","parallel_tool_calls":true,"modalities":["text"]}`,
}

func TestParseMatchesEncodingJSONRoute(t *testing.T) {
	paths, _ := filepath.Glob("testdata/requests/*.json")
	paths = append(paths, "testdata/bench/chat_request.json")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(p), func(t *testing.T) { parseBoth(t, data) })
	}
	for i, s := range parseSeeds {
		t.Run(fmt.Sprintf("seed%02d", i), func(t *testing.T) { parseBoth(t, []byte(s)) })
	}
}

func FuzzParseMatchesEncodingJSONRoute(f *testing.F) {
	paths, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { parseBoth(t, data) })
}

// TestParseTakesFastPath makes sure ordinary bodies never reach the
// encoding/json route, which would pass every equality test silently.
func TestParseTakesFastPath(t *testing.T) {
	data, err := os.ReadFile("testdata/bench/chat_request.json")
	if err != nil {
		t.Fatal(err)
	}
	fs, ok := splitObject(data)
	if !ok || len(fs) != 4 {
		t.Fatalf("splitObject = %d fields, %v", len(fs), ok)
	}
	msgs, _ := fs.get("messages")
	raws, ok := splitArray(msgs)
	if !ok || len(raws) != 2 {
		t.Fatalf("splitArray = %d, %v", len(raws), ok)
	}
	var w wireMessage
	if !splitWireMessage(raws[1], &w) {
		t.Fatal("splitWireMessage refused a plain message")
	}
	if _, ok := fastString(w.Content); !ok {
		t.Fatal("fastString refused the content")
	}
}
