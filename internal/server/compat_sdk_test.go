package server

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// The probe's bodies are written by hand so that the table shows exactly
// what was sent; these tests tie them to what openai-go, a mainstream
// SDK, sends for the same rows, and send those through the SDK itself.

func sdkTools(strict bool) []openai.ChatCompletionToolUnionParam {
	params := shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required": []string{"city"}}
	fn := shared.FunctionDefinitionParam{Name: "get_weather", Description: openai.String("Weather in a city"), Parameters: params}
	if strict {
		params["additionalProperties"] = false
		fn = shared.FunctionDefinitionParam{Name: "get_weather", Strict: openai.Bool(true), Parameters: params}
	}
	return []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(fn)}
}

// sdkTwoTools is compatTwoTools as the SDK builds it.
func sdkTwoTools() []openai.ChatCompletionToolUnionParam {
	return append(sdkTools(false), openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_time",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{}}}))
}

// sdkAllowed is an allowed_tools choice of get_weather among two tools.
func sdkAllowed(mode openai.ChatCompletionAllowedToolsMode) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Tools: sdkTwoTools(), ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{
		OfAllowedTools: &openai.ChatCompletionAllowedToolChoiceParam{AllowedTools: openai.ChatCompletionAllowedToolsParam{
			Mode: mode, Tools: []map[string]any{{"type": "function", "function": map[string]any{"name": "get_weather"}}}}}}}
}

func sdkUser(parts ...openai.ChatCompletionContentPartUnionParam) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(parts)}
}

func sdkAssistantTurn(m openai.ChatCompletionAssistantMessageParam) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi"), {OfAssistant: &m}, openai.UserMessage("again")}
}

var sdkCall = openai.ChatCompletionMessageToolCallUnionParam{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
	ID: "call_1", Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "get_weather", Arguments: `{"city":"Paris"}`}}}

// sdkCases are probe rows as openai-go builds them (Model is filled in
// per protocol; Messages, when empty, is the probe's default).
func sdkCases() map[string]openai.ChatCompletionNewParams {
	out := sdkMessageCases()
	for row, p := range sdkFieldCases() {
		out[row] = p
	}
	return out
}

// sdkMessageCases are the message rows as openai-go builds them.
func sdkMessageCases() map[string]openai.ChatCompletionNewParams {
	msgs := func(m ...openai.ChatCompletionMessageParamUnion) []openai.ChatCompletionMessageParamUnion { return m }
	tools := sdkTools(false)
	return map[string]openai.ChatCompletionNewParams{
		"messages: system":                   {Messages: msgs(openai.SystemMessage("Be brief."), openai.UserMessage("hi"))},
		"messages: system, array content":    {Messages: msgs(openai.SystemMessage([]openai.ChatCompletionContentPartTextParam{{Text: "Be brief."}}), openai.UserMessage("hi"))},
		"messages: developer, array content": {Messages: msgs(openai.DeveloperMessage([]openai.ChatCompletionContentPartTextParam{{Text: "Be brief."}}), openai.UserMessage("hi"))},
		"messages: tool, array content": {Tools: tools, Messages: msgs(openai.UserMessage("weather in Paris?"),
			openai.ChatCompletionMessageParamUnion{OfAssistant: &openai.ChatCompletionAssistantMessageParam{ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{sdkCall}}},
			openai.ToolMessage([]openai.ChatCompletionContentPartTextParam{{Text: "sunny"}}, "call_1"))},
		"messages: developer":                 {Messages: msgs(openai.DeveloperMessage("Be brief."), openai.UserMessage("hi"))},
		"messages: user, text":                {Messages: msgs(openai.UserMessage("hello"))},
		"messages: user, array of text parts": {Messages: sdkUser(openai.TextContentPart("hi "), openai.TextContentPart("there"))},
		"messages: user, image_url (data: URL)": {Messages: sdkUser(openai.TextContentPart("what is this"),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: compatPNG, Detail: "low"}))},
		"messages: user, image_url (https URL)": {Messages: sdkUser(openai.TextContentPart("what is this"),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/cat.png"}))},
		"messages: user, input_audio": {Messages: sdkUser(openai.TextContentPart("transcribe"),
			openai.InputAudioContentPart(openai.ChatCompletionContentPartInputAudioInputAudioParam{Data: "UklGRg==", Format: "wav"}))},
		"messages: user, file (file_data)": {Messages: sdkUser(openai.TextContentPart("summarise"),
			openai.FileContentPart(openai.ChatCompletionContentPartFileFileParam{FileData: openai.String("data:application/pdf;base64,JVBERi0="), Filename: openai.String("a.pdf")}))},
		"messages: user, file (file_id)": {Messages: sdkUser(openai.TextContentPart("summarise"),
			openai.FileContentPart(openai.ChatCompletionContentPartFileFileParam{FileID: openai.String("file-abc123")}))},
		"messages: name": {Messages: msgs(openai.ChatCompletionMessageParamUnion{OfUser: &openai.ChatCompletionUserMessageParam{
			Content: openai.ChatCompletionUserMessageParamContentUnion{OfString: openai.String("hi")}, Name: openai.String("alice")}})},
		"messages: assistant, text": {Messages: sdkAssistantTurn(openai.ChatCompletionAssistantMessageParam{
			Content: openai.ChatCompletionAssistantMessageParamContentUnion{OfString: openai.String("Hello.")}})},
		"messages: assistant, array content": {Messages: sdkAssistantTurn(openai.ChatCompletionAssistantMessageParam{
			Content: openai.ChatCompletionAssistantMessageParamContentUnion{OfArrayOfContentParts: []openai.ChatCompletionAssistantMessageParamContentArrayOfContentPartUnion{
				{OfText: &openai.ChatCompletionContentPartTextParam{Text: "Hello."}}}}})},
		"messages: assistant, array content with a refusal part": {Messages: sdkAssistantTurn(openai.ChatCompletionAssistantMessageParam{
			Content: openai.ChatCompletionAssistantMessageParamContentUnion{OfArrayOfContentParts: []openai.ChatCompletionAssistantMessageParamContentArrayOfContentPartUnion{
				{OfRefusal: &openai.ChatCompletionContentPartRefusalParam{Refusal: "I can't help with that."}}}}})},
		"messages: assistant, tool_calls with null content; tool": {Tools: tools, Messages: msgs(openai.UserMessage("weather in Paris?"),
			openai.ChatCompletionMessageParamUnion{OfAssistant: &openai.ChatCompletionAssistantMessageParam{ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{sdkCall}}},
			openai.ToolMessage("sunny", "call_1"))},
		"messages: assistant, refusal": {Messages: sdkAssistantTurn(openai.ChatCompletionAssistantMessageParam{Refusal: openai.String("I can't help with that.")})},
		"messages: assistant, audio": {Messages: sdkAssistantTurn(openai.ChatCompletionAssistantMessageParam{
			Audio: openai.ChatCompletionAssistantMessageParamAudio{ID: "audio_abc123"}})},
		"messages: function (deprecated)": {Messages: msgs(openai.UserMessage("weather in Paris?"), openai.ChatCompletionMessageParamUnion{
			OfFunction: &openai.ChatCompletionFunctionMessageParam{Name: "get_weather", Content: openai.String("sunny")}})},
	}
}

// sdkFieldCases are the top-level field rows as openai-go builds them.
func sdkFieldCases() map[string]openai.ChatCompletionNewParams {
	tools := sdkTools(false)
	return map[string]openai.ChatCompletionNewParams{
		"audio": {Modalities: []string{"text", "audio"}, Audio: openai.ChatCompletionAudioParam{Format: "wav",
			Voice: openai.ChatCompletionAudioParamVoiceUnion{OfString: openai.String("alloy")}}},
		"frequency_penalty":     {FrequencyPenalty: openai.Float(0.5)},
		"logit_bias":            {LogitBias: map[string]int64{"50256": -100}},
		"logprobs":              {Logprobs: openai.Bool(true)},
		"top_logprobs":          {Logprobs: openai.Bool(true), TopLogprobs: openai.Int(2)},
		"max_completion_tokens": {MaxCompletionTokens: openai.Int(50)},
		"max_tokens":            {MaxTokens: openai.Int(50)},
		"metadata":              {Metadata: shared.Metadata{"team": "search"}},
		"modalities: [text]":    {Modalities: []string{"text"}},
		"moderation":            {Moderation: openai.ChatCompletionNewParamsModeration{Model: "omni-moderation-latest"}},
		"n":                     {N: openai.Int(2)},
		"parallel_tool_calls":   {Tools: tools, ParallelToolCalls: openai.Bool(false)},
		"prediction": {Prediction: openai.ChatCompletionPredictionContentParam{
			Content: openai.ChatCompletionPredictionContentContentUnionParam{OfString: openai.String("hello")}}},
		"presence_penalty":        {PresencePenalty: openai.Float(0.5)},
		"prompt_cache_key":        {PromptCacheKey: openai.String("tenant-7")},
		"prompt_cache_retention":  {PromptCacheRetention: "24h"},
		"reasoning_effort":        {ReasoningEffort: shared.ReasoningEffortLow},
		"reasoning_effort: xhigh": {ReasoningEffort: shared.ReasoningEffortXhigh},
		"response_format: text":   {ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfText: &shared.ResponseFormatTextParam{}}},
		"response_format: json_object": {ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}},
		"response_format: json_schema": {ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
				Name: "city", Strict: openai.Bool(true), Schema: map[string]any{"type": "object", "properties": map[string]any{
					"name": map[string]any{"type": "string"}}, "required": []string{"name"}, "additionalProperties": false}}}}},
		"safety_identifier": {SafetyIdentifier: openai.String("user-hash-1")},
		"seed":              {Seed: openai.Int(7)},
		"service_tier":      {ServiceTier: openai.ChatCompletionNewParamsServiceTierAuto},
		"stop: string":      {Stop: openai.ChatCompletionNewParamsStopUnion{OfString: openai.String("END")}},
		"stop: array":       {Stop: openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"END", "STOP"}}},
		"store":             {Store: openai.Bool(true)},
		"temperature":       {Temperature: openai.Float(0.2)},
		"tool_choice: none": {Tools: tools, ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("none")}},
		"tool_choice: auto": {Tools: tools, ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}},
		"tool_choice: required": {Tools: tools, ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{
			OfAuto: openai.String("required")}},
		"tool_choice: named function": {Tools: sdkTwoTools(), ToolChoice: openai.ToolChoiceOptionFunctionToolChoice(
			openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "get_weather"})},
		"tool_choice: allowed_tools, auto":     sdkAllowed("auto"),
		"tool_choice: allowed_tools, required": sdkAllowed("required"),
		"tool_choice: custom": {Tools: tools, ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{
			OfCustomToolChoice: &openai.ChatCompletionNamedToolChoiceCustomParam{Custom: openai.ChatCompletionNamedToolChoiceCustomCustomParam{Name: "sql"}}}},
		"tools: function":         {Tools: tools},
		"tools: function, strict": {Tools: sdkTools(true)},
		"tools: custom": {Tools: []openai.ChatCompletionToolUnionParam{{OfCustom: &openai.ChatCompletionCustomToolParam{
			Custom: openai.ChatCompletionCustomToolCustomParam{Name: "sql"}}}}},
		"top_p":              {TopP: openai.Float(0.9)},
		"user":               {User: openai.String("user-1")},
		"verbosity":          {Verbosity: openai.ChatCompletionNewParamsVerbosityLow},
		"web_search_options": {WebSearchOptions: openai.ChatCompletionNewParamsWebSearchOptions{SearchContextSize: "low"}},
	}
}

// sdkParams is the row's params for model, with the default conversation.
func sdkParams(p openai.ChatCompletionNewParams, model string) openai.ChatCompletionNewParams {
	p.Model = model
	if len(p.Messages) == 0 {
		p.Messages = userMsg("hi")
	}
	return p
}

// withoutNulls drops null object members, which mean "absent" in
// OpenAI's API: the SDK omits what the hand-written bodies spell null.
func withoutNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = withoutNulls(e)
		}
	case []any:
		for i := range t {
			t[i] = withoutNulls(t[i])
		}
	}
	return v
}

// TestCompatBodiesAreSDKShapes: for each row openai-go can build, the
// probe's hand-written body is the body the SDK sends.
func TestCompatBodiesAreSDKShapes(t *testing.T) {
	sdk := sdkCases()
	for _, c := range compatCases {
		p, ok := sdk[c.row]
		if !ok {
			continue
		}
		delete(sdk, c.row)
		b, err := json.Marshal(sdkParams(p, "mini"))
		if err != nil {
			t.Fatalf("%s: %v", c.row, err)
		}
		got, want := withoutNulls(decodeTree(t, b)), withoutNulls(decodeTree(t, []byte(compatBody("mini", c.pre, c.add))))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: openai-go sends\n  %s\nthe probe sends\n  %s", c.row, b, compatBody("mini", c.pre, c.add))
		}
	}
	for row := range sdk {
		t.Errorf("SDK case %q is no probe row", row)
	}
}

// goldenCells reads the compatibility table: row -> cells per protocol.
func goldenCells(t *testing.T) map[string][2]string {
	raw, err := os.ReadFile(compatGolden)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[2:] {
		cells := splitRow(line)
		out[cells[0]] = [2]string{cells[1], cells[2]}
	}
	return out
}

// TestCompatSDKClient sends each SDK row through openai-go's own client
// to both protocols: refused exactly where the table says so, and every
// accepted answer parses in the SDK.
func TestCompatSDKClient(t *testing.T) {
	r := startReal(t, "")
	c := r.client()
	table := goldenCells(t)
	for row, p := range sdkCases() {
		for i, m := range compatModels {
			cell := table[row][i]
			resp, err := c.Chat.Completions.New(context.Background(), sdkParams(p, m.name))
			var apiErr *openai.Error
			switch refused := strings.HasPrefix(cell, "refused: 400"); {
			case refused && (!errors.As(err, &apiErr) || apiErr.StatusCode != 400):
				t.Errorf("%s, %s: %v, want the table's %s", row, m.name, err, cell)
			case !refused && err != nil:
				t.Errorf("%s, %s: %v, want the table's %s", row, m.name, err, cell)
			case !refused && len(resp.Choices) == 0:
				t.Errorf("%s, %s: no choices", row, m.name)
			}
		}
	}
}

// TestCompatSDKKitchenSink sends in one request what SDK-based clients
// commonly set, streamed and not, to both protocols: none is a reason
// to refuse.
func TestCompatSDKKitchenSink(t *testing.T) {
	r := startReal(t, "")
	c := r.client()
	p := openai.ChatCompletionNewParams{
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage([]openai.ChatCompletionContentPartTextParam{{Text: "Be brief."}}),
			openai.DeveloperMessage("Answer in English."),
			{OfUser: &openai.ChatCompletionUserMessageParam{Name: openai.String("alice"),
				Content: openai.ChatCompletionUserMessageParamContentUnion{OfString: openai.String("weather in Paris?")}}},
			{OfAssistant: &openai.ChatCompletionAssistantMessageParam{ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{sdkCall}}},
			openai.ToolMessage("sunny", "call_1"),
		},
		Tools: sdkTools(false), ParallelToolCalls: openai.Bool(false),
		MaxCompletionTokens: openai.Int(200), Store: openai.Bool(false), Metadata: shared.Metadata{"team": "search"},
		User: openai.String("user-1"), ServiceTier: openai.ChatCompletionNewParamsServiceTierAuto, Logprobs: openai.Bool(true),
		PromptCacheKey: openai.String("tenant-7"), SafetyIdentifier: openai.String("user-hash-1"), Temperature: openai.Float(0.2),
	}
	for _, m := range compatModels {
		resp, err := c.Chat.Completions.New(context.Background(), sdkParams(p, m.name))
		if err != nil || len(resp.Choices) != 1 || !strings.HasPrefix(resp.Choices[0].Message.Content, "Answer from") {
			t.Fatalf("%s: %v %+v", m.name, err, resp)
		}
		sp := sdkParams(p, m.name)
		sp.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := c.Chat.Completions.NewStreaming(context.Background(), sp)
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("%s streamed: %v", m.name, err)
		}
		if len(acc.Choices) != 1 || !strings.HasPrefix(acc.Choices[0].Message.Content, "Answer from") || acc.Usage.TotalTokens == 0 {
			t.Errorf("%s streamed: %+v", m.name, acc.ChatCompletion)
		}
	}
}

// logprobsProvider answers with fixed log probabilities, as a provider
// returns them converted from either upstream protocol.
type logprobsProvider struct{}

var fixedLogprobs = []provider.TokenLogprob{
	{Token: "Paris", Logprob: -0.01, Top: []provider.TokenLogprob{{Token: "Paris", Logprob: -0.01}, {Token: "The", Logprob: -4.5}}},
	{Token: "é", Logprob: -0.5, Bytes: []int{195, 169}},
}

func (logprobsProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if !req.Logprobs || req.TopLogprobs != 2 {
		return nil, errors.New("logprobs not asked for")
	}
	return &provider.Response{Text: "Parisé", FinishReason: "stop", Usage: provider.Usage{InputTokens: 1, OutputTokens: 2},
		Logprobs: fixedLogprobs}, nil
}

func (logprobsProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return nil, errors.New("logprobsProvider: no streams")
}

// TestCompatLogprobsAnswerParsesInSDK: the gateway's logprobs answer is
// OpenAI's shape, as openai-go reads it.
func TestCompatLogprobsAnswerParsesInSDK(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": logprobsProvider{}}))
	c := g.client()
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "cheap", Messages: userMsg("capital of France?"), Logprobs: openai.Bool(true), TopLogprobs: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	lp := resp.Choices[0].Logprobs.Content
	if len(lp) != 2 || lp[0].Token != "Paris" || lp[0].Logprob != -0.01 || len(lp[0].TopLogprobs) != 2 ||
		lp[0].TopLogprobs[1].Token != "The" || !reflect.DeepEqual(lp[0].Bytes, []int64{80, 97, 114, 105, 115}) ||
		!reflect.DeepEqual(lp[1].Bytes, []int64{195, 169}) || lp[1].TopLogprobs == nil {
		t.Errorf("logprobs %+v", lp)
	}
	if raw := resp.Choices[0].Logprobs.RawJSON(); !strings.Contains(raw, `"top_logprobs":[]`) || !strings.Contains(raw, `"refusal":null`) {
		t.Errorf("logprobs JSON %s, want top_logprobs [] where none and refusal null, as OpenAI sends", raw)
	}
}

// refusalProvider declines, as OpenAI's structured outputs do.
type refusalProvider struct{}

func (refusalProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	return &provider.Response{Refusal: "I can't help with that.", FinishReason: "stop", Usage: provider.Usage{InputTokens: 1, OutputTokens: 6}}, nil
}

func (refusalProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return nil, errors.New("refusalProvider: no streams")
}

// TestCompatRefusalAnswerParsesInSDK: an upstream's refusal reaches the
// SDK as message.refusal with null content.
func TestCompatRefusalAnswerParsesInSDK(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": refusalProvider{}}))
	c := g.client()
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "cheap", Messages: userMsg("hi")})
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if m.Refusal != "I can't help with that." || m.JSON.Content.Raw() != "null" {
		t.Errorf("message %s, want the refusal with content null", m.RawJSON())
	}
}

// citingProvider answers with a web search citation, as an
// OpenAI-compatible search model does.
type citingProvider struct{}

func (citingProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	return &provider.Response{Text: "Paris (olympics.com).", FinishReason: "stop", Usage: provider.Usage{InputTokens: 1, OutputTokens: 2},
		Annotations: json.RawMessage(`[{"type":"url_citation","url_citation":{"end_index":21,"start_index":6,"title":"Paris 2024","url":"https://olympics.com/en/paris-2024"}}]`)}, nil
}

func (citingProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return nil, errors.New("citingProvider: no streams")
}

// TestCompatAnnotationsParseInSDK: an upstream's citations reach the SDK
// as message.annotations.
func TestCompatAnnotationsParseInSDK(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": citingProvider{}}))
	c := g.client()
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "cheap", Messages: userMsg("hi"),
		WebSearchOptions: openai.ChatCompletionNewParamsWebSearchOptions{SearchContextSize: "low"}})
	if err != nil {
		t.Fatal(err)
	}
	a := resp.Choices[0].Message.Annotations
	if len(a) != 1 || a[0].Type != "url_citation" || a[0].URLCitation.URL != "https://olympics.com/en/paris-2024" || a[0].URLCitation.EndIndex != 21 {
		t.Errorf("annotations %+v", a)
	}
}
