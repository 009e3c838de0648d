package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider/openai"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// The implementations a JSON step is measured with. Keys name them in
// benchmark output (benchstat -col /impl).
const (
	implHand = "hand"
	implStd  = "std"
	implV2   = "v2"
)

var implLabels = map[string]string{
	implHand: "hand-written",
	implStd:  "encoding/json",
	implV2:   "json/v2 (v1 options)",
}

var implKeys = []string{implHand, implStd, implV2}

// v1Options make go-json-experiment/json (the encoding/json/v2
// prototype) decode and encode exactly as encoding/json does, the only
// way it could replace code that must keep the gateway's bytes.
var v1Options = jsonv1.DefaultOptionsV1()

// jsonStep is one JSON step of a gateway request on a real body.
type jsonStep struct {
	key, label string
	size       int // bytes of JSON read or written
	// built is the implementation the gateway runs.
	built string
	// perRequest: one of the four steps of every non-streamed request.
	perRequest bool
	ops        map[string]func() error
}

// jsonFixtures are one request's bodies along the gateway's path: the
// client's request, the upstream request made of it, the upstream's
// answer and the gateway's answer made of that.
type jsonFixtures struct {
	request   []byte
	upstream  *openaiapi.ChatRequest
	reply     []byte // a recorded OpenAI answer
	longReply []byte // the same shape with a longer, multi-line answer
	event     string // one recorded stream event: a text delta
	answer    *openaiapi.ChatCompletion
}

// plainRequest is ChatRequest without its MarshalJSON, as encoding/json
// would encode the struct if nothing were hand-written.
type plainRequest openaiapi.ChatRequest

// repoFile reads a file of the repository from the root (go run ./bench)
// or from bench/ (go test ./bench).
func repoFile(rel string) ([]byte, error) {
	b, err := os.ReadFile(rel)
	if os.IsNotExist(err) {
		return os.ReadFile(filepath.Join("..", rel))
	}
	return b, err
}

func loadJSONFixtures() (*jsonFixtures, error) {
	var fx jsonFixtures
	var err error
	read := func(dst *[]byte, rel string) {
		if err == nil {
			*dst, err = repoFile(rel)
		}
	}
	var sse []byte
	read(&fx.request, "internal/openaiapi/testdata/bench/chat_request.json")
	read(&fx.reply, "internal/provider/openai/testdata/responses/text.json")
	read(&fx.longReply, "internal/provider/openai/testdata/bench/response.json")
	read(&sse, "internal/provider/openai/testdata/streams/text.sse")
	if err != nil {
		return nil, err
	}
	if fx.event, err = textDeltaEvent(string(sse)); err != nil {
		return nil, err
	}
	req, err := openaiapi.ParseChatRequest(fx.request)
	if err != nil {
		return nil, err
	}
	preq, err := openaiapi.ToProvider(req, "gpt-4o-mini")
	if err != nil {
		return nil, err
	}
	if fx.upstream, err = openai.ToWire(preq, false); err != nil {
		return nil, err
	}
	var w openaiapi.ChatResponse
	if err := openaiapi.DecodeResponse(fx.longReply, &w); err != nil {
		return nil, err
	}
	resp, err := openai.FromWire(&w)
	if err != nil {
		return nil, err
	}
	cost := 0.000123
	fx.answer = openaiapi.FromResponse("chatcmpl-0123456789abcdef01234567", "fake-cheap", 1741569952, resp, &cost)
	return &fx, nil
}

// textDeltaEvent is the data of the first event of a recorded stream that
// carries answer text.
func textDeltaEvent(sse string) (string, error) {
	for line := range strings.Lines(sse) {
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if ok && strings.Contains(data, `"content":"`) && !strings.Contains(data, `"content":""`) {
			return data, nil
		}
	}
	return "", fmt.Errorf("no text delta in the recorded stream")
}

// jsonSteps are the gateway's JSON steps on fx, each with the code the
// gateway runs and the libraries doing the same job on the same Go types.
// For the request parse, the libraries only decode (no validation, no
// field-naming errors): a lower bound for a parser built on them. The
// encoders are encoding/json's (ChatRequest.MarshalJSON adds only the
// pass-through fields, which this request has none of).
func jsonSteps(fx *jsonFixtures) []jsonStep {
	upstreamSize := len(mustMarshal(fx.upstream))
	return []jsonStep{
		{key: "parse-request", label: "client request → ChatRequest (parse and validate)", size: len(fx.request),
			built: implHand, perRequest: true, ops: map[string]func() error{
				implHand: func() error { _, err := openaiapi.ParseChatRequest(fx.request); return err },
				implStd:  func() error { return json.Unmarshal(fx.request, new(openaiapi.ChatRequest)) },
				implV2:   func() error { return jsonv2.Unmarshal(fx.request, new(openaiapi.ChatRequest), v1Options) },
			}},
		{key: "encode-upstream-request", label: "ChatRequest → upstream request body", size: upstreamSize,
			built: implStd, perRequest: true, ops: map[string]func() error{
				implStd: func() error { _, err := fx.upstream.MarshalJSON(); return err },
				implV2:  func() error { _, err := jsonv2.Marshal((*plainRequest)(fx.upstream), v1Options); return err },
			}},
		decodeStep("decode-reply", "upstream answer → ChatResponse (recorded OpenAI reply)", fx.reply, false),
		decodeStep("decode-long-reply", "upstream answer → ChatResponse (longer multi-line answer)", fx.longReply, true),
		{key: "decode-event", label: "stream event → ChatResponse (one text delta)", size: len(fx.event),
			built: implHand, ops: map[string]func() error{
				implHand: func() error { return openaiapi.DecodeEvent(fx.event, new(openaiapi.ChatResponse)) },
				implStd:  func() error { return json.Unmarshal([]byte(fx.event), new(openaiapi.ChatResponse)) },
				implV2:   func() error { return jsonv2.Unmarshal([]byte(fx.event), new(openaiapi.ChatResponse), v1Options) },
			}},
		{key: "encode-answer", label: "ChatCompletion → the gateway's answer", size: len(mustMarshal(fx.answer)),
			built: implStd, perRequest: true, ops: map[string]func() error{
				implStd: func() error { _, err := json.Marshal(fx.answer); return err },
				implV2:  func() error { _, err := jsonv2.Marshal(fx.answer, v1Options); return err },
			}},
	}
}

func decodeStep(key, label string, body []byte, perRequest bool) jsonStep {
	return jsonStep{key: key, label: label, size: len(body), built: implHand, perRequest: perRequest,
		ops: map[string]func() error{
			implHand: func() error { return openaiapi.DecodeResponse(body, new(openaiapi.ChatResponse)) },
			implStd:  func() error { return json.Unmarshal(body, new(openaiapi.ChatResponse)) },
			implV2:   func() error { return jsonv2.Unmarshal(body, new(openaiapi.ChatResponse), v1Options) },
		}}
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// replyTransport answers every upstream request with one recorded body,
// in memory: what remains of a request is the gateway's own work.
type replyTransport []byte

func (t replyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: int64(len(t)),
		Body: io.NopCloser(bytes.NewReader(t)), Request: r}, nil
}

// jsonGateway is the gateway's handler as serve builds it (the provider
// registry with the real OpenAI-compatible client and retries, the
// trained MMLU router, budgets in memory) with a no-op spend store, logs
// to nowhere and an in-memory upstream answering reply. The request is
// fx.request sent to model "router".
func (b *bench) jsonGateway(ctx context.Context, fx *jsonFixtures) (http.Handler, []byte, error) {
	_, dir, err := b.mmluClassifier(ctx, "json_model")
	if err != nil {
		return nil, nil, err
	}
	m, err := router.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := server.ParseConfig([]byte(gatewayConfig("http://upstream.invalid", dir, filepath.Join(b.opts.workDir, "unused.db"))), "bench.yaml")
	if err != nil {
		return nil, nil, err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return nil, nil, err
	}
	budgets, err := spend.NewBudgets(cfg.Budgets, spend.NewMemoryCounter())
	if err != nil {
		return nil, nil, err
	}
	reg := registry.New(cat, registry.Options{Getenv: fakeGetenv, HTTPClient: &http.Client{Transport: replyTransport(fx.longReply)}})
	srv, err := server.New(cfg, server.Deps{Upstreams: reg, Router: m, Budgets: budgets, Store: nopStore{},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		return nil, nil, err
	}
	if rec := serveOnce(srv.Handler(), fx.request); rec.Code != http.StatusOK {
		return nil, nil, fmt.Errorf("in-process gateway: status %d: %s", rec.Code, rec.Body)
	}
	return srv.Handler(), fx.request, nil
}
