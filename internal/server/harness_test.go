package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// baseYAML is a small catalogue: cheap and strong models on two providers.
const baseYAML = `
models:
  cheap:
    provider: gemini
    upstream_model: gemini-2.5-flash
    price: {input: 1.0, output: 2.0}
    context_window: 100000
  strong:
    provider: openai
    base_url: http://unused.invalid/v1
    price: {input: 10.0, output: 20.0}
    context_window: 100000
  backup:
    provider: gemini
    price: {input: 1.0, output: 2.0}
policy_mapping:
  cheap_model: cheap
  strong_model: strong
`

// mapUpstreams is an Upstreams over fixed providers.
type mapUpstreams struct {
	cat *catalog.Catalogue
	ps  map[string]provider.Provider
}

func (u *mapUpstreams) Get(name string) (provider.Provider, catalog.Model, error) {
	m, err := u.cat.Lookup(name)
	if err != nil {
		return nil, catalog.Model{}, err
	}
	p, ok := u.ps[name]
	if !ok {
		return nil, catalog.Model{}, fmt.Errorf("no provider for %s", name)
	}
	return p, m, nil
}

// memStore is a spend.Store that keeps records in memory.
type memStore struct {
	mu   sync.Mutex
	recs []spend.Record
}

func (s *memStore) Record(_ context.Context, r spend.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
	return nil
}

func (s *memStore) Summary(context.Context, spend.Query) ([]spend.Row, error) { return nil, nil }
func (s *memStore) Close() error                                              { return nil }

func (s *memStore) all() []spend.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]spend.Record(nil), s.recs...)
}

// fakeRouter scores every query with score, policy from the usual rule.
type fakeRouter struct {
	score     float64
	threshold float64
}

func (r *fakeRouter) Name() string       { return "fake" }
func (r *fakeRouter) Threshold() float64 { return r.threshold }
func (r *fakeRouter) Route(ctx context.Context, q string) (router.Decision, error) {
	d := router.Decision{Score: r.score, Probs: map[string]float64{policy.Standard: 0.5, policy.Complex: 0.3, policy.Ambiguous: 0.2}}
	d.Policy = policyAt(d, r.threshold)
	return d, ctx.Err()
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gw is a running gateway under test.
type gw struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	store *memStore
	logs  *syncBuffer
	key   string
}

type gwOption func(*Deps)

func withRouter(r router.Router) gwOption   { return func(d *Deps) { d.Router = r } }
func withBudgets(b *spend.Budgets) gwOption { return func(d *Deps) { d.Budgets = b } }
func withUpstreams(u Upstreams) gwOption    { return func(d *Deps) { d.Upstreams = u } }
func withProviders(ps map[string]provider.Provider) gwOption {
	return func(d *Deps) { d.Upstreams.(*mapUpstreams).ps = ps }
}

// startGW parses yaml (appended to nothing: pass a full config) and serves
// the gateway on an httptest server.
func startGW(t *testing.T, yaml string, opts ...gwOption) *gw {
	t.Helper()
	cfg, err := ParseConfig([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	g := &gw{t: t, store: &memStore{}, logs: &syncBuffer{}}
	deps := Deps{
		Upstreams: &mapUpstreams{cat: cat, ps: map[string]provider.Provider{}},
		Store:     g.store,
		Logger:    slog.New(slog.NewJSONHandler(g.logs, nil)),
	}
	for _, o := range opts {
		o(&deps)
	}
	if g.srv, err = New(cfg, deps); err != nil {
		t.Fatal(err)
	}
	g.ts = httptest.NewServer(g.srv.Handler())
	t.Cleanup(g.ts.Close)
	return g
}

// client is an official OpenAI Go client pointed at the gateway.
func (g *gw) client(opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(g.ts.URL + "/v1/"),
		option.WithAPIKey(g.keyOr("unused")),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(10 * time.Second),
	}
	return openai.NewClient(append(base, opts...)...)
}

func (g *gw) keyOr(def string) string {
	if g.key != "" {
		return g.key
	}
	return def
}

// post sends a raw body and returns status, headers and body.
func (g *gw) post(path, body string, hdr ...string) (int, http.Header, string) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.ts.URL+path, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(g.t, req)
}

func (g *gw) get(path string, hdr ...string) (int, http.Header, string) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.ts.URL+path, nil)
	if err != nil {
		g.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(g.t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.String()
}

// waitRecords waits for n records: the handler records after flushing the
// response, so the client may see the answer first.
func (g *gw) waitRecords(n int) []spend.Record {
	g.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := g.store.all()
		if len(recs) >= n || time.Now().After(deadline) {
			sort.Slice(recs, func(i, j int) bool { return recs[i].RequestID < recs[j].RequestID })
			if len(recs) != n {
				g.t.Fatalf("got %d spend records, want %d", len(recs), n)
			}
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLogged waits for n log lines containing needle: a request's log
// line is written after its answer and its spend record, so neither
// seeing the answer nor waitRecords guarantees it.
func (g *gw) waitLogged(needle string, n int) {
	g.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(g.logs.String(), needle) < n {
		if time.Now().After(deadline) {
			g.t.Fatalf("%d log lines with %s after 5 s, want %d:\n%s", strings.Count(g.logs.String(), needle), needle, n, g.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func userMsg(text string) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}
}

// slowStream is a provider whose stream sends one chunk, then waits for
// release (or cancellation) before finishing.
type slowStream struct{ release chan struct{} }

func (s *slowStream) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	return nil, errors.New("slowStream: streams only")
}

func (s *slowStream) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return &slowRecv{ctx: ctx, release: s.release}, nil
}

type slowRecv struct {
	ctx     context.Context
	release chan struct{}
	n       int
}

func (r *slowRecv) Recv() (provider.Chunk, error) {
	r.n++
	switch r.n {
	case 1:
		return provider.Chunk{Text: "first "}, nil
	case 2:
		select {
		case <-r.release:
		case <-r.ctx.Done():
			return provider.Chunk{}, r.ctx.Err()
		}
		return provider.Chunk{Text: "last", FinishReason: "stop", Usage: &provider.Usage{InputTokens: 1, OutputTokens: 2}}, nil
	}
	return provider.Chunk{}, io.EOF
}

func (r *slowRecv) Close() error { return nil }

// httptestRecorder calls /healthz in-process and returns its status.
func httptestRecorder(g *gw) int {
	rec := httptest.NewRecorder()
	g.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	return rec.Code
}

func readAll(resp *http.Response) (string, error) {
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
