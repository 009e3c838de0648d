package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/providertest"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// Two models that disagree: model A learns that sums are easy and history
// questions hard, and that sure answers ("#### n") are right; model B
// learns the opposite of both, so a sum's router score and a sure
// answer's escalate score move far when one replaces the other.
const (
	applesQuery  = "Tom has 3 apples and buys 4 more. How many apples does he have?"
	applesAnswer = "Tom has 3 + 4 = 7 apples.\n#### 7"
)

// reloadRows are n seeded training rows, half sums and half history
// questions, each with the cheap model's answer; flip swaps which topic is
// hard and which answer style is wrong.
func reloadRows(n int, flip bool) []trl.SFTRow {
	rng := rand.New(rand.NewPCG(11, 13))
	rows := make([]trl.SFTRow, 0, n)
	for i := range n {
		a, c := rng.IntN(50)+2, rng.IntN(50)+2
		sum := i%2 == 0
		q := fmt.Sprintf("Tom has %d apples and buys %d more. How many apples does he have?", a, c)
		sure := fmt.Sprintf("Tom has %d + %d = %d apples.\n#### %d", a, c, a+c, a+c)
		if !sum {
			q = fmt.Sprintf("In which year did the old kingdom sign treaty number %d with its neighbour?", a*c)
			sure = fmt.Sprintf("The treaty was signed in year %d.\n#### %d", 1000+a*c, 1000+a*c)
		}
		hedge := fmt.Sprintf("I think it is probably about %d, but I am not sure.", a*c+1)
		right, wrong := sure, hedge
		if flip {
			right, wrong = hedge, sure
		}
		row := trl.SFTRow{ID: fmt.Sprint("r", i), Query: q, Policy: policy.Standard, Cell: "CORRECT/CORRECT", CheapAnswer: right}
		if sum == flip { // the hard topic
			row.Policy, row.Cell, row.CheapAnswer = policy.Complex, "INCORRECT/CORRECT", wrong
		}
		row.Prompt, row.Completion = trl.Prompt(q), trl.Completion(row.Policy)
		rows = append(rows, row)
	}
	return rows
}

// trainReload trains model A (flip false) or B, with a cascade verifier
// unless noCascade.
func trainReload(flip, noCascade bool) (*router.Model, error) {
	cfg := router.DefaultTrainConfig()
	cfg.SFT = reloadRows(120, flip)
	cfg.Cascade.Off = noCascade
	m, _, err := router.Train(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	if !noCascade && m.Cascade == nil {
		return nil, errors.New("the rows carry cheap answers, yet no cascade verifier was trained")
	}
	return m, nil
}

// reloadModels are trained once per test binary: training is the slow part.
// Each is saved once, which records its weights' digest (its version)
// before any test reads it.
var reloadModels = sync.OnceValues(func() (ms [2]*router.Model, err error) {
	tmp, err := os.MkdirTemp("", "reload-models-")
	if err != nil {
		return ms, err
	}
	defer os.RemoveAll(tmp)
	for i, flip := range []bool{false, true} {
		if ms[i], err = trainReload(flip, false); err != nil {
			return ms, err
		}
		if err := router.Save(filepath.Join(tmp, fmt.Sprint(i)), ms[i]); err != nil {
			return ms, err
		}
	}
	return ms, nil
})

// modelsAB are the shared models A and B. Save sets their digests, so
// tests save them, never change them.
func modelsAB(t testing.TB) (a, b *router.Model) {
	t.Helper()
	ms, err := reloadModels()
	if err != nil {
		t.Fatal(err)
	}
	return ms[0], ms[1]
}

// saveModel writes m to dir (replacing what is there) and returns its
// version.
func saveModel(t testing.TB, dir string, m *router.Model) string {
	t.Helper()
	if err := router.Save(dir, m); err != nil {
		t.Fatal(err)
	}
	return short(m.Meta.WeightsSHA256)
}

// withReload loads dir as the gateway's starting model, with the loader
// that reloads it, as Open does.
func withReload(t testing.TB, dir string) gwOption {
	return func(d *Deps) {
		load := classifierLoader(&Config{Router: RouterConfig{ModelPath: dir}})
		d.RouterFiles = modelFingerprint(dir)
		lr, err := load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		d.Router, d.Cascade, d.RouterVersion, d.LoadRouter = lr.Router, lr.Cascade, lr.Version, load
	}
}

// reloadGW serves model A from a fresh model directory.
func reloadGW(t *testing.T, routerYAML string, ps map[string]provider.Provider) (g *gw, dir, va string) {
	t.Helper()
	a, _ := modelsAB(t)
	dir = filepath.Join(t.TempDir(), "model")
	va = saveModel(t, dir, a)
	if ps == nil {
		ps = map[string]provider.Provider{"cheap": answering("cheap", 5, 5), "strong": answering("strong", 5, 5)}
	}
	g = startGW(t, baseYAML+"router:\n  model_path: "+dir+"\n"+routerYAML, withReload(t, dir), withProviders(ps))
	return g, dir, va
}

// routed asks model "router" and returns the version and score headers.
func (g *gw) routed(q string) (version string, score float64) {
	g.t.Helper()
	code, h, body := g.post("/v1/chat/completions", `{"model":"router","messages":[{"role":"user","content":`+strconv.Quote(q)+`}]}`)
	if code != 200 {
		g.t.Fatalf("status %d: %s", code, body)
	}
	s, err := strconv.ParseFloat(h.Get("X-Router-Score"), 64)
	if err != nil {
		g.t.Fatalf("X-Router-Score %q: %v", h.Get("X-Router-Score"), err)
	}
	return h.Get("X-Router-Version"), s
}

var infoRE = regexp.MustCompile(`(?m)^llmrouter_router_info\{kind="([^"]*)",training_data="([0-9a-f]*)",version="([^"]*)"\} 1$`)

// metricsInfo reads the serving version and the reload counters.
func (g *gw) metricsInfo(hdr ...string) (version string, ok, refused int) {
	g.t.Helper()
	code, _, body := g.get("/metrics", hdr...)
	if code != 200 {
		g.t.Fatalf("/metrics: %d", code)
	}
	if m := infoRE.FindStringSubmatch(body); m != nil {
		version = m[3]
	}
	count := func(result string) int {
		m := regexp.MustCompile(`(?m)^llmrouter_router_reload_total\{result="` + result + `"\} (\d+)$`).FindStringSubmatch(body)
		if m == nil {
			g.t.Fatalf("/metrics has no llmrouter_router_reload_total{result=%q}", result)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return version, count(reloadOK), count(reloadRefused)
}

func TestReloadServesNewModel(t *testing.T) {
	g, dir, va := reloadGW(t, "", nil)
	a, b := modelsAB(t)
	v1, s1 := g.routed(applesQuery)
	if mv, ok, refused := g.metricsInfo(); v1 != va || mv != va || ok != 0 || refused != 0 {
		t.Fatalf("before: header version %q, metrics version %q (reloads ok %d refused %d), want %q", v1, mv, ok, refused, va)
	}
	if g.srv.RouterVersion() != va {
		t.Errorf("RouterVersion %q, want %q", g.srv.RouterVersion(), va)
	}
	vb := saveModel(t, dir, b)
	if err := g.srv.ReloadRouter(context.Background(), "sighup"); err != nil {
		t.Fatal(err)
	}
	v2, s2 := g.routed(applesQuery)
	if v2 != vb || vb == va {
		t.Errorf("after: header version %q, want B's %q (A's %q)", v2, vb, va)
	}
	if s1 > 0.5 || s2 < 0.5 {
		t.Errorf("a sum scored %.4f by A and %.4f by B; A learnt sums are easy, B that they are hard", s1, s2)
	}
	if mv, ok, refused := g.metricsInfo(); mv != vb || ok != 1 || refused != 0 {
		t.Errorf("metrics version %q, reloads ok %d refused %d; want %q, 1, 0", mv, ok, refused, vb)
	}
	g.waitLogged(`"router_version":"`+vb+`"`, 1)
	logs := g.logs.String()
	if !strings.Contains(logs, `"msg":"router model reloaded"`) || !strings.Contains(logs, `"router_version":"`+vb+`"`) ||
		!strings.Contains(logs, `"router_version":"`+va+`"`) {
		t.Errorf("logs lack the reload or the request versions:\n%s", logs)
	}
	if info := g.srv.routerInfo(); info.Version != vb || info.LoadedAt == nil {
		t.Errorf("router info %+v, want version %q and a load time", info, vb)
	}
	if _, _, ready := g.get("/readyz"); !strings.Contains(ready, `"detail":"version `+vb+`"`) {
		t.Errorf("/readyz does not name the serving version %s: %s", vb, ready)
	}
	_, _, body := g.get("/metrics")
	m := infoRE.FindStringSubmatch(body)
	if m == nil || m[1] != router.KindClassifier || m[2] != short(b.Meta.Data.SFTSHA256) || m[2] == short(a.Meta.Data.SFTSHA256) {
		t.Errorf("llmrouter_router_info %q, want kind %s and B's training data %s", m, router.KindClassifier, short(b.Meta.Data.SFTSHA256))
	}
}

// TestReloadWatch serves through Open (the production loader) and lets
// the watcher notice a new model written by router.Save.
func TestReloadWatch(t *testing.T) {
	a, b := modelsAB(t)
	dir := filepath.Join(t.TempDir(), "model")
	va := saveModel(t, dir, a)
	r := startReal(t, fmt.Sprintf("router: {model_path: %s, watch: true, watch_interval: 20ms}\n", dir))
	auth := []string{"Authorization", "Bearer " + gatewayKey}
	ctx, cancel := context.WithCancel(context.Background())
	stop := r.srv.startWatch(ctx)
	defer func() {
		cancel()
		stop()
	}()
	// Unchanged files are not reloaded.
	time.Sleep(100 * time.Millisecond)
	if v, ok, _ := r.metricsInfo(auth...); v != va || ok != 0 {
		t.Fatalf("metrics version %q, %d reloads before any change; want %q, 0", v, ok, va)
	}
	vb := saveModel(t, dir, b)
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok, refused := r.metricsInfo(auth...)
		if v == vb {
			if ok != 1 || refused != 0 {
				t.Errorf("reloads ok %d refused %d, want 1 and 0", ok, refused)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher did not load B (%s) within 10s; serving %q\n%s", vb, v, r.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, resp, err := r.chat("router", applesQuery, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Router-Version"); got != vb {
		t.Errorf("X-Router-Version %q after the watch reload, want %q", got, vb)
	}
	// A broken model is refused once, not on every poll.
	if err := os.Remove(filepath.Join(dir, router.WeightsFile)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, refused := r.metricsInfo(auth...); refused == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not try the broken model")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if v, ok, refused := r.metricsInfo(auth...); v != vb || ok != 1 || refused != 1 {
		t.Errorf("after the broken model: version %q, reloads ok %d refused %d; want %q, 1, 1", v, ok, refused, vb)
	}
}

// editMeta rewrites a model directory's model.json through f.
func editMeta(f func(m map[string]any)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, router.MetaFile)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReloadRefusesBadModels(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		reason string
	}{
		{"missing weights", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, router.WeightsFile)); err != nil {
				t.Fatal(err)
			}
		}, "weights.bin"},
		{"missing directory", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}, "does not exist"},
		{"digest mismatch", func(t *testing.T, dir string) {
			path := filepath.Join(dir, router.WeightsFile)
			w, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			w[len(w)/2] ^= 0xff
			if err := os.WriteFile(path, w, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "sha256"},
		{"format version", editMeta(func(m map[string]any) { m["format_version"] = 99 }), "format version 99"},
		{"unknown kind", editMeta(func(m map[string]any) { m["kind"] = "oracle" }), `unknown model kind "oracle"`},
		{"not json", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, router.MetaFile), []byte("{not json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "invalid model metadata"},
		{"cascade lost", func(t *testing.T, dir string) {
			m, err := trainReload(true, true)
			if err != nil {
				t.Fatal(err)
			}
			saveModel(t, dir, m)
		}, "no cascade verifier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, dir, va := reloadGW(t, "", nil)
			_, s1 := g.routed(applesQuery)
			tc.break_(t, dir)
			err := g.srv.ReloadRouter(context.Background(), "sighup")
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("reload error %v, want one naming %q", err, tc.reason)
			}
			v, s2 := g.routed(applesQuery)
			if v != va || s2 != s1 {
				t.Errorf("after the refusal: version %q score %.4f, want A's %q %.4f", v, s2, va, s1)
			}
			if mv, ok, refused := g.metricsInfo(); mv != va || ok != 0 || refused != 1 {
				t.Errorf("metrics version %q, reloads ok %d refused %d; want %q, 0, 1", mv, ok, refused, va)
			}
			var line map[string]any
			for _, l := range strings.Split(g.logs.String(), "\n") {
				if strings.Contains(l, "router model reload refused") {
					_ = json.Unmarshal([]byte(l), &line)
				}
			}
			if line == nil || !strings.Contains(fmt.Sprint(line["reason"]), tc.reason) || line["running_version"] != va {
				t.Errorf("refusal log line %v, want reason naming %q and running_version %q", line, tc.reason, va)
			}
		})
	}
}

// TestReloadRefusesKindChange: router.candidates needs an N-model router,
// and router.threshold means something else for each kind.
func TestReloadRefusesKindChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	multi := multiRouter(t)
	vm := saveModel(t, dir, multi)
	a, _ := modelsAB(t)
	for _, tc := range []struct{ yaml, reason string }{
		{"  candidates: [cheap, strong]\n", "router.candidates"},
		{"  threshold: 0.4\n", "router.threshold means something else"},
	} {
		saveModel(t, dir, multi)
		g := startGW(t, baseYAML+"router:\n  model_path: "+dir+"\n"+tc.yaml, withReload(t, dir), func(d *Deps) {
			d.Upstreams.(*mapUpstreams).ps = map[string]provider.Provider{
				"cheap": answering("cheap", 5, 5), "strong": answering("strong", 5, 5), "backup": answering("backup", 5, 5)}
		})
		saveModel(t, dir, a)
		err := g.srv.ReloadRouter(context.Background(), "sighup")
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: reload error %v, want one naming %q", strings.TrimSpace(tc.yaml), err, tc.reason)
		}
		if v := g.srv.RouterVersion(); v != vm {
			t.Errorf("serving %q after the refusal, want the N-model router %q", v, vm)
		}
	}
}

func TestReloadWithoutLoader(t *testing.T) {
	g := startGW(t, baseYAML, withRouter(&fakeRouter{score: 0.2, threshold: 0.5}))
	if err := g.srv.ReloadRouter(context.Background(), "sighup"); err == nil || !strings.Contains(err.Error(), "router.model_path") {
		t.Errorf("reload error %v, want one naming router.model_path", err)
	}
	if _, ok, refused := g.metricsInfo(); ok != 0 || refused != 1 {
		t.Errorf("reloads ok %d refused %d, want 0 and 1", ok, refused)
	}
}

// blocking answers like answering, but a request whose last message
// contains "block" waits in the upstream until release is closed.
func blocking(model string, entered chan<- struct{}, release <-chan struct{}) *providertest.Fake {
	f := answering(model, 5, 5)
	inner := f.CompleteFunc
	f.CompleteFunc = func(ctx context.Context, req *provider.Request) (*provider.Response, error) {
		last := req.Messages[len(req.Messages)-1].Content
		if strings.Contains(last, "block") {
			entered <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return &provider.Response{Text: applesAnswer, FinishReason: "stop", Model: req.Model,
				Usage: provider.Usage{InputTokens: 5, OutputTokens: 5}}, nil
		}
		return inner(ctx, req)
	}
	return f
}

// TestReloadInFlight: a request started before a reload finishes on the
// model it started with, its cascade verifier included, while requests
// arriving after the reload use the new one.
func TestReloadInFlight(t *testing.T) {
	a, b := modelsAB(t)
	for _, model := range []string{"router", "router-cascade"} {
		t.Run(model, func(t *testing.T) {
			entered, release := make(chan struct{}, 1), make(chan struct{})
			ps := map[string]provider.Provider{"cheap": blocking("cheap", entered, release), "strong": blocking("strong", entered, release)}
			g, dir, va := reloadGW(t, "", ps)
			q := applesQuery + " (block)"
			type result struct {
				code int
				h    map[string]string
				body string
			}
			done := make(chan result, 1)
			go func() {
				code, h, body := g.post("/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":`+strconv.Quote(q)+`}]}`)
				done <- result{code, map[string]string{"version": h.Get("X-Router-Version"), "score": h.Get("X-Router-Score"),
					"escalate": h.Get("X-Router-Escalate-Score"), "cascade": h.Get("X-Router-Cascade")}, body}
			}()
			<-entered
			vb := saveModel(t, dir, b)
			if err := g.srv.ReloadRouter(context.Background(), "sighup"); err != nil {
				t.Fatal(err)
			}
			if v, _ := g.routed(applesQuery); v != vb {
				t.Fatalf("a request after the reload used %q, want B's %q", v, vb)
			}
			close(release)
			r := <-done
			if r.code != 200 {
				t.Fatalf("in-flight request: %d %s", r.code, r.body)
			}
			da, err := a.Route(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if r.h["version"] != va || r.h["score"] != strconv.FormatFloat(da.Score, 'f', 4, 64) {
				t.Errorf("in-flight request headers %v, want A's version %q and score %.4f", r.h, va, da.Score)
			}
			if model != "router-cascade" {
				return
			}
			escA, escB := a.Cascade.Score(q, applesAnswer), b.Cascade.Score(q, applesAnswer)
			if strconv.FormatFloat(escA, 'f', 4, 64) == strconv.FormatFloat(escB, 'f', 4, 64) {
				t.Fatalf("A and B's verifiers agree (%.4f) on the answer: the test cannot tell them apart", escA)
			}
			if r.h["escalate"] != strconv.FormatFloat(escA, 'f', 4, 64) {
				t.Errorf("in-flight cascade escalate score %s, want A's verifier's %.4f (B's: %.4f)", r.h["escalate"], escA, escB)
			}
		})
	}
}

// TestReloadUnderLoad sends a steady 500 requests a second for two
// seconds while the model on disk alternates between A and B and is
// reloaded as fast as it can be saved and loaded (every 20ms plus that):
// no request may fail, and each one's score must be the score of the
// version it reports.
func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a two-second load run")
	}
	a, b := modelsAB(t)
	g, dir, va := reloadGW(t, "", nil)
	want := map[string]string{}
	for _, m := range []*router.Model{a, b} {
		d, err := m.Route(context.Background(), applesQuery)
		if err != nil {
			t.Fatal(err)
		}
		want[short(m.Meta.WeightsSHA256)] = strconv.FormatFloat(d.Score, 'f', 4, 64)
	}
	const rate, dur = 500, 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var reloads, refusedN int
	reloaderDone := make(chan struct{})
	go func() {
		defer close(reloaderDone)
		models := []*router.Model{b, a}
		for i := 0; ctx.Err() == nil; i++ {
			if err := router.Save(dir, models[i%2]); err != nil {
				t.Error(err)
				return
			}
			if err := g.srv.ReloadRouter(context.Background(), "sighup"); err != nil {
				refusedN++
				t.Errorf("reload %d: %v", i, err)
			}
			reloads++
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var sent, failed atomic.Int64
	seen := sync.Map{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	body := `{"model":"router","messages":[{"role":"user","content":` + strconv.Quote(applesQuery) + `}]}`
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * time.Second / rate)
		if at.Sub(start) >= dur {
			break
		}
		time.Sleep(time.Until(at))
		sem <- struct{}{}
		wg.Add(1)
		sent.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			code, h, resp := g.post("/v1/chat/completions", body)
			v, s := h.Get("X-Router-Version"), h.Get("X-Router-Score")
			if code != 200 || want[v] == "" || want[v] != s {
				if failed.Add(1) <= 3 {
					t.Errorf("status %d version %q score %q (want score %q): %s", code, v, s, want[v], resp)
				}
				return
			}
			seen.Store(v, true)
		}()
	}
	wg.Wait()
	<-reloaderDone
	elapsed := time.Since(start)
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	t.Logf("%d requests in %s (%.0f/s), %d reloads, %d failed", sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), reloads, failed.Load())
	if failed.Load() != 0 || refusedN != 0 {
		t.Fatalf("%d of %d requests failed, %d reloads refused", failed.Load(), sent.Load(), refusedN)
	}
	if reloads < 2 || n != 2 {
		t.Errorf("%d reloads and %d versions seen by requests; the run did not exercise swaps (A is %s)", reloads, n, va)
	}
}

func TestReloadConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, err string }{
		{"router: {watch: true}", "router.watch: needs router.model_path"},
		{"router: {model_path: m, watch_interval: -1s}", "router.watch_interval: must be > 0, got -1s"},
		{"router: {model_path: m, watch: true, watch_interval: soon}", "watch_interval"},
	} {
		_, err := ParseConfig([]byte(baseYAML+tc.yaml), "r.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.err)
		}
	}
	cfg, err := ParseConfig([]byte(baseYAML+"router: {model_path: m, watch: true}"), "r.yaml")
	if err != nil || cfg.Router.WatchInterval != 2*time.Second {
		t.Errorf("default watch_interval: %v, %v; want 2s", cfg, err)
	}
}

// TestReloadLLMRouterFallback: with router.kind llm a reload rebuilds the
// LLM router around the new classifier, which then decides when the LLM
// endpoint does not answer.
func TestReloadLLMRouterFallback(t *testing.T) {
	a, b := modelsAB(t)
	dir := filepath.Join(t.TempDir(), "model")
	va := saveModel(t, dir, a)
	e := newLLMEndpoint(t)
	e.hang.Store(true)
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
	r := startGateway(t, fake, llmRouterYAML(e, dir), map[string]string{"TEST_VLLM_KEY": "vllm-token"})
	check := func(m *router.Model, version string) {
		t.Helper()
		d, err := m.Route(context.Background(), applesQuery)
		if err != nil {
			t.Fatal(err)
		}
		_, resp, err := r.chat("router", applesQuery, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-Router-Score"); got != strconv.FormatFloat(d.Score, 'f', 4, 64) || resp.Header.Get("X-Router-Version") != version {
			t.Errorf("score %s version %s, want the fallback classifier's %.4f and %s", got, resp.Header.Get("X-Router-Version"), d.Score, version)
		}
	}
	check(a, va)
	vb := saveModel(t, dir, b)
	if err := r.srv.ReloadRouter(context.Background(), "sighup"); err != nil {
		t.Fatal(err)
	}
	check(b, vb)
	if info := r.srv.routerInfo(); info.Kind != "llm:router-llm" || info.Version != vb {
		t.Errorf("router info kind %q version %q, want the LLM router around B (%s)", info.Kind, info.Version, vb)
	}
}

// TestReloadWatchCalibrate: calibrate rewrites model.json alone; the
// watcher reloads it, and the new threshold applies under the same version.
func TestReloadWatchCalibrate(t *testing.T) {
	g, dir, va := reloadGW(t, "  watch: true\n  watch_interval: 20ms\n", nil)
	ctx, cancel := context.WithCancel(context.Background())
	stop := g.srv.startWatch(ctx)
	defer func() {
		cancel()
		stop()
	}()
	m, err := router.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetThreshold(0.875, 0.1, "test calibration"); err != nil {
		t.Fatal(err)
	}
	if err := router.SaveMeta(dir, m); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := g.srv.routerInfo()
		if info.Threshold != nil && *info.Threshold == 0.875 {
			if info.Version != va || info.ThresholdSource != "test calibration" {
				t.Errorf("after calibrate: version %q source %q, want %q and the new source", info.Version, info.ThresholdSource, va)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher did not pick up the new threshold; info %+v", info)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A loaded machine can stretch the save across two polls, so the
	// watcher may reload twice; what matters is that none was refused.
	if v, ok, refused := g.metricsInfo(); v != va || ok < 1 || refused != 0 {
		t.Errorf("metrics version %q, reloads ok %d refused %d; want %q, at least 1, 0", v, ok, refused, va)
	}
}

// TestReloadGainsCascade: a model with a verifier replacing one without
// makes "router-cascade" available, in /v1/models and to requests.
func TestReloadGainsCascade(t *testing.T) {
	plain, err := trainReload(false, true)
	if err != nil {
		t.Fatal(err)
	}
	_, b := modelsAB(t)
	dir := filepath.Join(t.TempDir(), "model")
	saveModel(t, dir, plain)
	g := startGW(t, baseYAML+"router:\n  model_path: "+dir+"\n", withReload(t, dir), withProviders(map[string]provider.Provider{
		"cheap": answering("cheap", 5, 5), "strong": answering("strong", 5, 5)}))
	body := `{"model":"router-cascade","messages":[{"role":"user","content":` + strconv.Quote(applesQuery) + `}]}`
	if _, _, models := g.get("/v1/models"); strings.Contains(models, `"router-cascade"`) {
		t.Fatalf("/v1/models lists router-cascade without a verifier: %s", models)
	}
	if code, _, _ := g.post("/v1/chat/completions", body); code != 400 {
		t.Fatalf("router-cascade without a verifier: status %d, want 400", code)
	}
	vb := saveModel(t, dir, b)
	if err := g.srv.ReloadRouter(context.Background(), "sighup"); err != nil {
		t.Fatal(err)
	}
	if _, _, models := g.get("/v1/models"); !strings.Contains(models, `"router-cascade"`) {
		t.Errorf("/v1/models does not list router-cascade after loading a verifier: %s", models)
	}
	code, h, resp := g.post("/v1/chat/completions", body)
	if code != 200 || h.Get("X-Router-Cascade") == "" || h.Get("X-Router-Version") != vb {
		t.Errorf("router-cascade after the reload: status %d cascade %q version %q: %s", code, h.Get("X-Router-Cascade"), h.Get("X-Router-Version"), resp)
	}
}
