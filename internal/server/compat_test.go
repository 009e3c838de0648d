package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// The compatibility probe sends every request field and message shape of
// OpenAI's chat-completions API through the real gateway to both upstream
// protocols and writes what each upstream received as a table row:
// "passes" (sent unchanged), "ignored" (not sent), the translation (the
// upstream fields that changed, with their values), or the refusal
// (status, param and message). The golden file is that table; README's
// Compatibility section repeats it with a reason per row, and
// TestCompatREADME keeps the two equal.

const (
	compatGolden = "testdata/compat.golden"
	compatTools  = `[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	// compatTwoTools adds a second function, so that choosing among tools
	// shows in what the upstream receives.
	compatTwoTools = `[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{}}}}]`
	compatCall     = `{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}`
	compatAsk      = `{"role":"user","content":"weather in Paris?"}`
	compatPNG      = "data:image/png;base64,iVBORw0KGgo="
)

// compatCase is one row. pre holds the members a request needs for add
// to make sense (tools for tool_choice, stream for stream_options); the
// baseline request is pre alone, the probe is pre plus add. Both are
// top-level members written as JSON object members without braces; a
// messages member in add replaces the default conversation.
type compatCase struct {
	row string
	pre string
	add string
}

// compatCases follow the API reference's order: messages by role, then
// the top-level fields alphabetically.
var compatCases = []compatCase{
	{row: "messages: system", add: `"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]`},
	{row: "messages: system, array content", add: `"messages":[{"role":"system","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"hi"}]`},
	{row: "messages: developer", add: `"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"hi"}]`},
	{row: "messages: developer, array content", add: `"messages":[{"role":"developer","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"hi"}]`},
	{row: "messages: user, text", add: `"messages":[{"role":"user","content":"hello"}]`},
	{row: "messages: user, array of text parts", add: `"messages":[{"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}]`},
	{row: "messages: user, image_url (data: URL)", add: `"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"` + compatPNG + `","detail":"low"}}]}]`},
	{row: "messages: user, image_url (https URL)", add: `"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]`},
	{row: "messages: user, input_audio", add: `"messages":[{"role":"user","content":[{"type":"text","text":"transcribe"},{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]`},
	{row: "messages: user, file (file_data)", add: `"messages":[{"role":"user","content":[{"type":"text","text":"summarise"},{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}}]}]`},
	{row: "messages: user, file (file_id)", add: `"messages":[{"role":"user","content":[{"type":"text","text":"summarise"},{"type":"file","file":{"file_id":"file-abc123"}}]}]`},
	{row: "messages: name", add: `"messages":[{"role":"user","content":"hi","name":"alice"}]`},
	{row: "messages: assistant, text", add: `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello."},{"role":"user","content":"again"}]`},
	{row: "messages: assistant, array content with a refusal part", add: `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"refusal","refusal":"I can't help with that."}]},{"role":"user","content":"again"}]`},
	{row: "messages: assistant, array content", add: `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"Hello."}]},{"role":"user","content":"again"}]`},
	{row: "messages: assistant, tool_calls with null content; tool", pre: `"tools":` + compatTools,
		add: `"messages":[` + compatAsk + `,` + compatCall + `,{"role":"tool","tool_call_id":"call_1","content":"sunny"}]`},
	{row: "messages: tool, array content", pre: `"tools":` + compatTools,
		add: `"messages":[` + compatAsk + `,` + compatCall + `,{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"sunny"}]}]`},
	{row: "messages: assistant, refusal", add: `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"refusal":"I can't help with that."},{"role":"user","content":"again"}]`},
	{row: "messages: assistant, audio", add: `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"audio":{"id":"audio_abc123"}},{"role":"user","content":"again"}]`},
	{row: "messages: assistant, function_call (deprecated)", add: `"messages":[` + compatAsk + `,{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"role":"function","name":"get_weather","content":"sunny"}]`},
	{row: "messages: function (deprecated)", add: `"messages":[` + compatAsk + `,{"role":"function","name":"get_weather","content":"sunny"}]`},
	{row: "model", add: `"model":"%s"`},
	{row: "audio", add: `"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"}`},
	{row: "frequency_penalty", add: `"frequency_penalty":0.5`},
	{row: "function_call (deprecated)", add: `"function_call":"auto"`},
	{row: "functions (deprecated)", add: `"functions":[{"name":"get_weather","parameters":{"type":"object","properties":{}}}]`},
	{row: "logit_bias", add: `"logit_bias":{"50256":-100}`},
	{row: "logprobs", add: `"logprobs":true`},
	{row: "top_logprobs", pre: `"logprobs":true`, add: `"top_logprobs":2`},
	{row: "max_completion_tokens", add: `"max_completion_tokens":50`},
	{row: "max_tokens", add: `"max_tokens":50`},
	{row: "metadata", add: `"metadata":{"team":"search"}`},
	{row: "modalities: [text]", add: `"modalities":["text"]`},
	{row: "moderation", add: `"moderation":{"model":"omni-moderation-latest"}`},
	{row: "n", add: `"n":2`},
	{row: "parallel_tool_calls", pre: `"tools":` + compatTools, add: `"parallel_tool_calls":false`},
	{row: "prediction", add: `"prediction":{"type":"content","content":"hello"}`},
	{row: "presence_penalty", add: `"presence_penalty":0.5`},
	{row: "prompt_cache_key", add: `"prompt_cache_key":"tenant-7"`},
	{row: "prompt_cache_retention", add: `"prompt_cache_retention":"24h"`},
	{row: "reasoning_effort", add: `"reasoning_effort":"low"`},
	{row: "reasoning_effort: xhigh", add: `"reasoning_effort":"xhigh"`},
	{row: "response_format: text", add: `"response_format":{"type":"text"}`},
	{row: "response_format: json_object", add: `"response_format":{"type":"json_object"}`},
	{row: "response_format: json_schema", add: `"response_format":{"type":"json_schema","json_schema":{"name":"city","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}}`},
	{row: "safety_identifier", add: `"safety_identifier":"user-hash-1"`},
	{row: "seed", add: `"seed":7`},
	{row: "service_tier", add: `"service_tier":"auto"`},
	{row: "stop: string", add: `"stop":"END"`},
	{row: "stop: array", add: `"stop":["END","STOP"]`},
	{row: "store", add: `"store":true`},
	{row: "stream", add: `"stream":true`},
	{row: "stream_options: include_usage", pre: `"stream":true`, add: `"stream_options":{"include_usage":true}`},
	{row: "stream_options: include_obfuscation", pre: `"stream":true`, add: `"stream_options":{"include_obfuscation":false}`},
	{row: "temperature", add: `"temperature":0.2`},
	{row: "tool_choice: none", pre: `"tools":` + compatTools, add: `"tool_choice":"none"`},
	{row: "tool_choice: auto", pre: `"tools":` + compatTools, add: `"tool_choice":"auto"`},
	{row: "tool_choice: required", pre: `"tools":` + compatTools, add: `"tool_choice":"required"`},
	{row: "tool_choice: named function", pre: `"tools":` + compatTwoTools, add: `"tool_choice":{"type":"function","function":{"name":"get_weather"}}`},
	{row: "tool_choice: allowed_tools, auto", pre: `"tools":` + compatTwoTools,
		add: `"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"get_weather"}}]}}`},
	{row: "tool_choice: allowed_tools, required", pre: `"tools":` + compatTwoTools,
		add: `"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"get_weather"}}]}}`},
	{row: "tool_choice: custom", pre: `"tools":` + compatTools, add: `"tool_choice":{"type":"custom","custom":{"name":"sql"}}`},
	{row: "tools: function", add: `"tools":` + compatTools},
	{row: "tools: function, strict", add: `"tools":[{"type":"function","function":{"name":"get_weather","strict":true,"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}}]`},
	{row: "tools: custom", add: `"tools":[{"type":"custom","custom":{"name":"sql"}}]`},
	{row: "top_p", add: `"top_p":0.9`},
	{row: "user", add: `"user":"user-1"`},
	{row: "verbosity", add: `"verbosity":"low"`},
	{row: "web_search_options", add: `"web_search_options":{"search_context_size":"low"}`},
	{row: "top_k (extension)", add: `"top_k":40`},
}

// compatModels are the two catalogue models of startReal, one per protocol.
var compatModels = []struct {
	name  string
	proto upstreamfake.Protocol
}{{"mini", upstreamfake.OpenAI}, {"flash", upstreamfake.Gemini}}

// lastCall keeps the most recent upstream request the fake received.
type lastCall struct {
	mu  sync.Mutex
	req *upstreamfake.Request
}

func (l *lastCall) answer(req *upstreamfake.Request) upstreamfake.Reply {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.req = req
	return upstreamfake.DefaultAnswer(req)
}

func (l *lastCall) take() *upstreamfake.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.req
	l.req = nil
	return r
}

// compatBody builds a request body for model from members (pre and add,
// either may be empty), with the default conversation unless a member
// sets messages.
func compatBody(model string, members ...string) string {
	var parts []string
	msgs := true
	for _, m := range members {
		if m == "" {
			continue
		}
		if strings.Contains(m, "%s") {
			m = fmt.Sprintf(m, model)
		}
		msgs = msgs && !strings.HasPrefix(m, `"messages":`)
		parts = append(parts, m)
	}
	if msgs {
		parts = append([]string{`"messages":[{"role":"user","content":"hi"}]`}, parts...)
	}
	if !containsMember(parts, "model") {
		parts = append([]string{fmt.Sprintf(`"model":%q`, model)}, parts...)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func containsMember(parts []string, key string) bool {
	for _, p := range parts {
		if strings.HasPrefix(p, `"`+key+`":`) {
			return true
		}
	}
	return false
}

// compatProbe runs every case against both protocols and returns the
// table, one markdown row per case.
func compatProbe(t *testing.T) []byte {
	calls := &lastCall{}
	r := startReal(t, "", upstreamfake.WithAnswer(calls.answer))
	auth := []string{"Authorization", "Bearer " + gatewayKey}
	var out bytes.Buffer
	out.WriteString("| field | OpenAI-compatible upstream | Gemini upstream |\n|---|---|---|\n")
	for _, c := range compatCases {
		cells := []string{c.row}
		for _, m := range compatModels {
			var base *upstreamfake.Request
			baseStatus := http.StatusOK
			if !strings.HasPrefix(c.add, `"model":`) {
				baseStatus, _, _ = r.post("/v1/chat/completions", compatBody(m.name, c.pre), auth...)
				base = calls.take()
			}
			status, _, body := r.post("/v1/chat/completions", compatBody(m.name, c.pre, c.add), auth...)
			if baseStatus != http.StatusOK && status == http.StatusOK {
				t.Fatalf("%s, %s: accepted, but not without it (%d)", c.row, m.name, baseStatus)
			}
			cells = append(cells, compatOutcome(t, c, m.proto, status, body, base, calls.take()))
		}
		fmt.Fprintf(&out, "| %s |\n", strings.Join(cells, " | "))
	}
	return out.Bytes()
}

// compatOutcome describes what one protocol's upstream got for a case.
func compatOutcome(t *testing.T, c compatCase, proto upstreamfake.Protocol, status int, body string, base, got *upstreamfake.Request) string {
	t.Helper()
	if status != http.StatusOK {
		if got != nil {
			t.Fatalf("%s: %d with an upstream call", c.row, status)
		}
		var e struct {
			Error struct {
				Message string  `json:"message"`
				Param   *string `json:"param"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("%s: %d with a body that is not an OpenAI error: %s", c.row, status, body)
		}
		param := "-"
		if e.Error.Param != nil {
			param = "`" + *e.Error.Param + "`"
		}
		msg := e.Error.Message
		if e.Error.Param != nil {
			msg = strings.TrimPrefix(msg, *e.Error.Param+": ")
		}
		return mdCell(fmt.Sprintf("refused: %d %s: %s", status, param, msg))
	}
	if got == nil {
		t.Fatalf("%s: 200 without an upstream call", c.row)
	}
	if base == nil { // the model row: its value is the catalogue name
		return mdCell(fmt.Sprintf("translated: catalogue name → upstream_model (`%s`)", got.Model))
	}
	note := answerNote(t, body)
	baseTree, gotTree := decodeTree(t, base.Body), decodeTree(t, got.Body)
	if proto == upstreamfake.Gemini && got.Stream != base.Stream {
		return mdCell("translated: `streamGenerateContent?alt=sse`" + note)
	}
	if proto == upstreamfake.Gemini && strings.HasPrefix(c.add, `"messages":`) && !reflect.DeepEqual(baseTree, gotTree) {
		return mdCell("translated: " + geminiShape(t, got.Body) + note)
	}
	if proto == upstreamfake.OpenAI {
		// Against the baseline plus what the client added: no difference
		// means the fields went up as the client sent them.
		want := decodeTree(t, base.Body).(map[string]any)
		for k, v := range decodeTree(t, []byte("{"+c.add+"}")).(map[string]any) {
			want[k] = v
		}
		if reflect.DeepEqual(want, gotTree) {
			return mdCell("passes" + note)
		}
		if reflect.DeepEqual(baseTree, gotTree) {
			return mdCell("not sent" + note)
		}
		var diffs []string
		treeDiff("", want, gotTree, &diffs)
		return mdCell("translated: " + strings.Join(diffs, "; ") + note)
	}
	if reflect.DeepEqual(baseTree, gotTree) {
		return mdCell("not sent" + note)
	}
	var diffs []string
	treeDiff("", baseTree, gotTree, &diffs)
	return mdCell("translated: " + strings.Join(diffs, "; ") + note)
}

// answerNote mentions what a plain answer does not have: several choices,
// log probabilities, or a stream's usage chunk.
func answerNote(t *testing.T, body string) string {
	if strings.HasPrefix(body, "data:") {
		for _, line := range strings.Split(body, "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var chunk struct {
				Choices []json.RawMessage `json:"choices"`
				Usage   json.RawMessage   `json:"usage"`
			}
			if err := json.Unmarshal([]byte(data), &chunk); err != nil {
				t.Fatalf("stream event %s: %v", data, err)
			}
			if len(chunk.Choices) == 0 && len(chunk.Usage) > 0 && string(chunk.Usage) != "null" {
				return "; usage chunk returned"
			}
		}
		return ""
	}
	var resp struct {
		Choices []struct {
			Logprobs json.RawMessage `json:"logprobs"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	var notes []string
	if n := len(resp.Choices); n > 1 {
		notes = append(notes, fmt.Sprintf("%d choices returned", n))
	}
	if len(resp.Choices) > 0 && len(resp.Choices[0].Logprobs) > 0 && string(resp.Choices[0].Logprobs) != "null" {
		notes = append(notes, "logprobs returned")
	}
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, ", ")
}

func decodeTree(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// treeDiff lists where got differs from want: objects are compared key
// by key, arrays element by element when their lengths agree, anything
// else as a whole value.
func treeDiff(path string, want, got any, out *[]string) {
	if reflect.DeepEqual(want, got) {
		return
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	// A new object is listed member by member only at the top level
	// (generationConfig, toolConfig), where members are separate settings.
	if gok && (wok || (want == nil && !strings.Contains(path, "."))) {
		keys := make([]string, 0, len(gm)+len(wm))
		for k := range gm {
			keys = append(keys, k)
		}
		for k := range wm {
			if _, ok := gm[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := gm[k]
			if !ok {
				*out = append(*out, "`"+join(k)+"` dropped")
				continue
			}
			treeDiff(join(k), wm[k], gv, out)
		}
		return
	}
	wa, wok := want.([]any)
	ga, gok := got.([]any)
	if wok && gok && len(wa) == len(ga) {
		for i := range ga {
			treeDiff(fmt.Sprintf("%s[%d]", path, i), wa[i], ga[i], out)
		}
		return
	}
	if got == nil && want != nil {
		*out = append(*out, "`"+path+"` dropped")
		return
	}
	*out = append(*out, fmt.Sprintf("`%s`: `%s`", path, clipJSON(got)))
}

// clipJSON writes a value as JSON, or when that is long, as its
// skeleton: keys without values, which shows what was sent and what not.
func clipJSON(v any) string {
	b, _ := json.Marshal(v)
	if len(b) <= 60 {
		return string(b)
	}
	return skeleton(v, 3)
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func skeleton(v any, depth int) string {
	switch t := v.(type) {
	case map[string]any:
		if depth == 0 {
			return "{…}"
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			switch v := t[k].(type) {
			case map[string]any, []any:
				keys[i] = k + ":" + skeleton(v, depth-1)
			case string:
				if k == "name" { // which function, tool or schema it is
					keys[i] = k + ":" + strconvQuote(v)
				}
			}
		}
		return "{" + strings.Join(keys, ",") + "}"
	case []any:
		if len(t) == 0 {
			return "[]"
		}
		if _, ok := t[0].(map[string]any); ok {
			return "[" + skeleton(t[0], depth) + "]"
		}
		return "[…]"
	}
	return "…"
}

// geminiShape summarises a Gemini body's turns: systemInstruction and
// each content's role with its part kinds.
func geminiShape(t *testing.T, body []byte) string {
	var w struct {
		SystemInstruction *struct {
			Parts []map[string]json.RawMessage `json:"parts"`
		} `json:"systemInstruction"`
		Contents []struct {
			Role  string                       `json:"role"`
			Parts []map[string]json.RawMessage `json:"parts"`
		} `json:"contents"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatalf("gemini body %s: %v", body, err)
	}
	var turns []string
	if w.SystemInstruction != nil {
		turns = append(turns, "systemInstruction("+partKinds(w.SystemInstruction.Parts)+")")
	}
	for _, c := range w.Contents {
		turns = append(turns, c.Role+"("+partKinds(c.Parts)+")")
	}
	return "`" + strings.Join(turns, " ") + "`"
}

// partKinds names each part by its fields; inline data with its MIME type.
func partKinds(parts []map[string]json.RawMessage) string {
	kinds := make([]string, 0, len(parts))
	for _, p := range parts {
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		kind := strings.Join(keys, "+")
		if raw, ok := p["inlineData"]; ok {
			var b struct {
				MimeType string `json:"mimeType"`
			}
			_ = json.Unmarshal(raw, &b)
			kind = "inlineData " + b.MimeType
		}
		kinds = append(kinds, kind)
	}
	return strings.Join(kinds, ", ")
}

// mdCell makes s safe inside a markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// TestCompatProbe is the compatibility table: a change in what any
// upstream receives for any field shows up as a diff of the golden file.
func TestCompatProbe(t *testing.T) {
	golden.Check(t, compatGolden, compatProbe(t))
}

// TestCompatREADME checks that README's Compatibility table has exactly
// the golden rows, in order, each with a reason unless both upstreams
// get the field unchanged.
func TestCompatREADME(t *testing.T) {
	want, err := os.ReadFile(compatGolden)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Compatibility\n")
	if !ok {
		t.Fatal("README.md has no \"## Compatibility\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "|") {
			got = append(got, line)
		}
	}
	wantRows := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	if len(got) != len(wantRows) {
		t.Fatalf("README Compatibility table has %d lines, %s has %d: regenerate the table from the golden file", len(got), compatGolden, len(wantRows))
	}
	for i, line := range got {
		cells := splitRow(line)
		if len(cells) != 4 {
			t.Errorf("README Compatibility line %d has %d cells, want 4: %s", i+1, len(cells), line)
			continue
		}
		if row := "| " + strings.Join(cells[:3], " | ") + " |"; i > 1 && row != wantRows[i] {
			t.Errorf("README Compatibility line %d:\n  %s\nwant (from %s):\n  %s", i+1, row, compatGolden, wantRows[i])
		}
		if i > 1 && cells[3] == "" && !(cells[1] == "passes" && cells[2] == "passes") {
			t.Errorf("README Compatibility row %q has no reason", cells[0])
		}
	}
}

// splitRow splits a markdown table row into trimmed cells, keeping
// escaped pipes inside cells.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+1 < len(line) && line[i+1] == '|' {
			cur.WriteString(`\|`)
			i++
			continue
		}
		if line[i] == '|' {
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(line[i])
	}
	return append(cells, strings.TrimSpace(cur.String()))
}
