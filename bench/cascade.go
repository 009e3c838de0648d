package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// cascadeOwnTarget: an accepted cascade's own work, relative to a plain
// routed request's. It adds a verifier call and a second budget
// reservation, which should cost microseconds next to the rest.
const cascadeOwnTarget = 1.2

// cascadeKind is one way of asking the gateway: a plain routed request or
// a cascade whose outcome the per-request threshold forces (1: the cheap
// answer is always accepted, 0: always escalated).
type cascadeKind struct {
	name, model, outcome string
	calls                int // upstream calls per request
}

var cascadeKinds = []cascadeKind{
	{"plain routed (\"router\")", "router", "", 1},
	{"cascade, accepted", "router-cascade-1", spend.CascadeAccepted, 1},
	{"cascade, escalated", "router-cascade-0", spend.CascadeEscalated, 2},
}

// cascadeData is the GSM8K test questions with their recorded answers,
// and a router model with its cascade verifier.
type cascadeData struct {
	modelDir  string
	verifier  string // how the verifier was chosen, for the report
	questions []string
	// answers maps "fake-cheap\n<question>" (and fake-strong) to the
	// recorded answer of that model.
	answers map[string]string
}

func (b *bench) cascade(ctx context.Context) (*Section, error) {
	s := &Section{Title: "Cascade routing overhead"}
	cd, err := b.prepareCascade(ctx)
	if err != nil {
		return nil, err
	}
	if cd == nil {
		s.Skipped = "the GSM8K router trained without a cascade verifier (too few answered training rows)"
		return s, nil
	}
	s.Intro = "Model `router-cascade` asks the cheap model, scores its answer with the cascade verifier, and asks the strong model only when the score reaches the threshold. " +
		"This section measures what that costs the gateway itself, against a plain routed request (`router`) in the same run, and what it does to time to first token. " +
		"The router is the SFT+DPO classifier trained on the recorded GSM8K train split, with its verifier (" + cd.verifier + "); requests are GSM8K test questions and the fake upstream answers with the recorded answers of each model, so the verifier reads real answers. " +
		"`router-cascade-1` and `router-cascade-0` force acceptance and escalation; pre-routing (the skip threshold) is turned off so every cascade makes the calls its row names. " +
		"Budgets are on (a global budget far from its limit), so every request reserves: a cascade reserves both of its calls up front."
	own, err := b.cascadeInProcess(ctx, cd)
	if err != nil {
		return nil, err
	}
	wire, err := b.cascadeWire(ctx, cd)
	if err != nil {
		return nil, err
	}
	s.Tables = append(s.Tables, ownTable(own, wire), wire.ttftTable(), cascadeTargets(own, wire, b.opts.smoke))
	s.note("In process: the gateway's handler (`server.New` with the trained router and verifier, budgets in memory, a no-op spend store, JSON logs to nowhere) called directly with an instant in-process upstream, %d requests of each kind per round, %d rounds interleaved, the median round reported: the gateway's own work and nothing else.", own.n, own.rounds)
	s.note("Over the wire: the gateway (%s) in front of the fake upstream (another process, answering at once), open-loop load at %.0f req/s; the gateway's CPU time per request is read from /proc, so it counts everything the process did (HTTP server and client, routing, verifying, budgets, the SQLite spend log, logging) but none of the upstream's time. Added latency is the gateway's percentile minus the direct one; an escalated cascade's includes its second upstream round trip.", wire.via, cascadeRate)
	s.note("Time to first token: a second gateway in front of a pacing proxy that makes the fake answer like a model with %s to the first token and an SSE event (%d words) every %s (a whole answer takes as long as its stream). The verifier needs the whole cheap answer, so a streamed cascade's first token comes after the cheap model has finished: its TTFT is the cheap model's whole generation time, plus the strong model's TTFT when it escalates.", b.pace().FirstByte, fakeChunkWords, b.pace().Event)
	return s, nil
}

// prepareCascade trains (or reuses) the GSM8K routers and saves the
// classifier with pre-routing off. nil: no verifier was trained.
func (b *bench) prepareCascade(ctx context.Context) (*cascadeData, error) {
	d, err := b.data.split(ctx, "gsm8k", b.size(0, smokeItems))
	if err != nil {
		return nil, err
	}
	rs, err := routersFor(ctx, d)
	if err != nil {
		return nil, err
	}
	if rs.classifier.Cascade == nil {
		return nil, nil
	}
	dir := filepath.Join(b.opts.workDir, "cascade_model")
	if err := router.Save(dir, rs.classifier); err != nil {
		return nil, err
	}
	m, err := router.Load(dir) // a copy: the quality section reads the shared model
	if err != nil {
		return nil, err
	}
	if err := m.Cascade.SetSkipThreshold(math.NaN(), "bench: every cascade asks the cheap model"); err != nil {
		return nil, err
	}
	if err := router.SaveMeta(dir, m); err != nil {
		return nil, err
	}
	meta := m.Cascade.Meta
	cd := &cascadeData{modelDir: dir, answers: map[string]string{},
		verifier: fmt.Sprintf("%s, threshold %.3f", meta.Metrics.Chosen, meta.Threshold)}
	for _, r := range d.testRows {
		if !realAnswer(r.Cheap.Answer) || !realAnswer(r.Strong.Answer) {
			continue
		}
		cd.questions = append(cd.questions, r.Query)
		cd.answers["fake-cheap\n"+r.Query], cd.answers["fake-strong\n"+r.Query] = r.Cheap.Answer, r.Strong.Answer
		if len(cd.questions) == 64 {
			break
		}
	}
	if len(cd.questions) == 0 {
		return nil, fmt.Errorf("no GSM8K test row has recorded answers from both models")
	}
	return cd, nil
}

func realAnswer(a string) bool {
	_, stand := grade.ParseRecordedOutcome(a)
	return !stand && strings.TrimSpace(a) != ""
}

// cascadeConfig is the gateway config of this section: the bench's two
// fake models, the cascade model, and a budget that only makes requests
// reserve.
func cascadeConfig(fakeURL, modelDir, spendDB string) string {
	return gatewayConfig(fakeURL, modelDir, spendDB) + "budgets:\n  global_usd: 1000000\n"
}

// ownWork is the in-process measurement: per kind, the median round's
// time and allocations per request.
type ownWork struct {
	n, rounds int
	perOp     []time.Duration
	allocs    []float64
	// verify is the verifier's own time per answer, on the same answers.
	verify time.Duration
}

func (b *bench) cascadeInProcess(ctx context.Context, cd *cascadeData) (*ownWork, error) {
	h, v, err := inProcessGateway(cd)
	if err != nil {
		return nil, err
	}
	if err := keepAccepted(h, cd); err != nil {
		return nil, err
	}
	bodies := make([][][]byte, len(cascadeKinds))
	for k, kind := range cascadeKinds {
		for _, q := range cd.questions {
			bodies[k] = append(bodies[k], chatBody(kind.model, q))
		}
	}
	w := &ownWork{n: b.size(4000, 50), rounds: b.size(7, 1)}
	per := make([][]float64, len(cascadeKinds))
	allocs := make([][]float64, len(cascadeKinds))
	var verify []float64
	for range w.rounds {
		verify = append(verify, float64(timeVerifier(v, cd, w.n)))
		for k := range cascadeKinds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			d, a, err := timeHandler(h, bodies[k], w.n)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cascadeKinds[k].name, err)
			}
			per[k], allocs[k] = append(per[k], float64(d)), append(allocs[k], a)
		}
	}
	for k := range cascadeKinds {
		w.perOp = append(w.perOp, time.Duration(median(per[k])))
		w.allocs = append(w.allocs, median(allocs[k]))
	}
	w.verify = time.Duration(median(verify))
	return w, nil
}

// timeVerifier scores the recorded cheap answers n times in turn, as the
// gateway does for an accepted cascade, and returns the time per answer.
func timeVerifier(v server.Verifier, cd *cascadeData, n int) time.Duration {
	start := time.Now()
	sink := 0.0
	for i := range n {
		q := cd.questions[i%len(cd.questions)]
		sink += v.Score(q, cd.answers["fake-cheap\n"+q])
	}
	d := time.Since(start) / time.Duration(n)
	if math.IsNaN(sink) {
		return 0 // keeps the loop from being optimised away
	}
	return d
}

// inProcessGateway is the gateway's handler over an instant upstream that
// answers with the recorded texts, and the verifier it uses.
func inProcessGateway(cd *cascadeData) (http.Handler, server.Verifier, error) {
	cfg, err := server.ParseConfig([]byte(cascadeConfig("http://127.0.0.1:9", cd.modelDir, filepath.Join(filepath.Dir(cd.modelDir), "unused.db"))), "bench.yaml")
	if err != nil {
		return nil, nil, err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return nil, nil, err
	}
	m, err := router.Load(cd.modelDir)
	if err != nil {
		return nil, nil, err
	}
	budgets, err := spend.NewBudgets(cfg.Budgets, spend.NewMemoryCounter())
	if err != nil {
		return nil, nil, err
	}
	srv, err := server.New(cfg, server.Deps{
		Upstreams: recordedUpstreams{cat: cat, answers: cd.answers},
		Router:    m, Cascade: m.Cascade, Budgets: budgets, Store: nopStore{},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, nil, err
	}
	return srv.Handler(), m.Cascade, nil
}

// keepAccepted drops the questions whose cheap answer even threshold 1
// escalates (a score that rounds to 1), so "accepted" means accepted.
func keepAccepted(h http.Handler, cd *cascadeData) error {
	kept := cd.questions[:0]
	for _, q := range cd.questions {
		rec := serveOnce(h, chatBody("router-cascade-1", q))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("cascade warm-up: status %d: %s", rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Router-Cascade") == spend.CascadeAccepted {
			kept = append(kept, q)
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("cascade warm-up: no cheap answer was accepted even at threshold 1")
	}
	cd.questions = kept
	return nil
}

func chatBody(model, question string) []byte {
	q, _ := json.Marshal(question)
	return fmt.Appendf(nil, `{"model":%q,"max_tokens":512,"messages":[{"role":"user","content":%s}]}`, model, q)
}

func serveOnce(h http.Handler, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(body)))
	return rec
}

// timeHandler serves n requests in turn and returns the time and heap
// allocations per request.
func timeHandler(h http.Handler, bodies [][]byte, n int) (time.Duration, float64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range n {
		if rec := serveOnce(h, bodies[i%len(bodies)]); rec.Code != http.StatusOK {
			return 0, 0, fmt.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	}
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return d / time.Duration(n), float64(after.Mallocs-before.Mallocs) / float64(n), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// recordedUpstreams serves every catalogue model from one in-process
// provider answering with the recorded texts at once.
type recordedUpstreams struct {
	cat     *catalog.Catalogue
	answers map[string]string
}

func (u recordedUpstreams) Get(name string) (provider.Provider, catalog.Model, error) {
	m, err := u.cat.Lookup(name)
	return recordedProvider(u.answers), m, err
}

type recordedProvider map[string]string

func (p recordedProvider) Complete(_ context.Context, req *provider.Request) (*provider.Response, error) {
	q := req.Messages[len(req.Messages)-1].Content
	text, ok := p[req.Model+"\n"+q]
	if !ok {
		text = "Answer from " + req.Model
	}
	return &provider.Response{Text: text, FinishReason: "stop", Model: req.Model,
		Usage: provider.Usage{InputTokens: (len(q) + 3) / 4, OutputTokens: (len(text) + 3) / 4}}, nil
}

func (p recordedProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, fmt.Errorf("the in-process measurement sends no streamed requests")
}

// nopStore records nothing: the in-process run measures the handler, not
// SQLite (the over-the-wire run has the real store).
type nopStore struct{}

func (nopStore) Record(context.Context, spend.Record) error                { return nil }
func (nopStore) Summary(context.Context, spend.Query) ([]spend.Row, error) { return nil, nil }
func (nopStore) Close() error                                              { return nil }
