package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/router"
)

// Hot reload: the router model and everything derived from it live in one
// immutable routerState behind an atomic pointer. A request loads the
// pointer once, when it arrives, and keeps that state for its whole life,
// so a reload never changes the model under a request that is being
// served: in-flight requests finish on the model they started with.

// LoadedRouter is a router model as read from its files.
type LoadedRouter struct {
	// Router scores queries; nil routes by the policy mapping rules alone.
	Router router.Router
	// Cascade is the model's verifier for "router-cascade", or nil.
	Cascade Verifier
	// Version names the model: the first 12 hex digits of its weights'
	// SHA-256. Empty: taken from Router when it is a *router.Model.
	Version string
}

// RouterLoader reads the router model afresh (router.model_path). It runs
// at startup and on each reload, so whatever wraps the trained model (an
// LLM router falling back to it) is rebuilt around the new one.
type RouterLoader func(ctx context.Context) (LoadedRouter, error)

// routerState is one loaded router model and what the gateway derives from
// it. It is never modified after it is published.
type routerState struct {
	router    router.Router
	threshold float64 // router.threshold, else the model's calibrated one
	hasThresh bool
	cascade   cascadeSetup
	cands     candidateSetup
	modelList []byte // GET /v1/models: "router-cascade" depends on the model
	version   string
	kind      string
	// data is the training data's SHA-256, what capture rows record as
	// router_version.
	data     string
	loadedAt time.Time
	// files is model_path's fingerprint taken just before the load; the
	// watcher compares it with what is on disk now.
	files string
}

// newRouterState derives the per-model state. It fails when the model
// cannot serve this config (router.candidates needs an N-model router
// trained on them).
func newRouterState(cfg *Config, cat *catalog.Catalogue, lr LoadedRouter, now time.Time) (*routerState, error) {
	st := &routerState{router: lr.Router, version: lr.Version, loadedAt: now}
	switch {
	case cfg.Router.Threshold != nil:
		st.threshold, st.hasThresh = *cfg.Router.Threshold, true
	case lr.Router != nil:
		if t, ok := lr.Router.(Thresholder); ok {
			st.threshold, st.hasThresh = t.Threshold(), true
		}
	}
	if lr.Router != nil {
		st.kind = lr.Router.Name()
		if st.version == "" {
			st.version = routerVersion(lr.Router)
		}
		st.data = trainingDataSHA(lr.Router)
	}
	st.cascade = newCascadeSetup(cfg, lr.Cascade)
	var err error
	if st.cands, err = newCandidateSetup(cfg, cat, lr.Router); err != nil {
		return nil, err
	}
	if st.modelList, err = modelListJSON(cat, now, st.servesCascade()); err != nil {
		return nil, err
	}
	return st, nil
}

// servesCascade says whether model "router-cascade" is available.
func (st *routerState) servesCascade() bool { return st.router != nil && st.cascade.v != nil }

// multi says whether the router chooses among N models.
func (st *routerState) multi() bool { return st.cands.lr != nil }

// routerVersion is a trained model's version: its weights' digest, short.
func routerVersion(r router.Router) string {
	switch m := r.(type) {
	case *router.Model:
		return short(m.Meta.WeightsSHA256)
	case interface{ Version() string }:
		return m.Version()
	}
	return ""
}

// RouterVersion is the version of the router model serving new requests
// ("" without a trained model). A request in flight may still be using
// the previous one: exchange.routerVersion is the one it used.
func (s *Server) RouterVersion() string { return s.rt.Load().version }

// routerVersion is the version of the model that routed x.
func (x *exchange) routerVersion() string {
	if x.rt == nil || !x.routed {
		return ""
	}
	return x.rt.version
}

// reloader serialises reloads (a SIGHUP during a watch-triggered load
// waits for it) and counts them.
type reloader struct {
	mu      sync.Mutex
	load    RouterLoader
	results *prometheus.CounterVec
	// tried is the fingerprint the watcher last attempted, so a refused
	// model is not retried until its files change again.
	tried string
}

// Reload results, the values of llmrouter_router_reload_total's label.
const (
	reloadOK      = "ok"
	reloadRefused = "refused"
)

func (s *Server) initReload(load RouterLoader, initial *routerState) {
	s.reloading = &reloader{load: load, results: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llmrouter_router_reload_total",
		Help: "Router model reloads (SIGHUP or router.watch), by result: ok (the new model serves) or refused (the running one stays).",
	}, []string{"result"})}
	for _, r := range []string{reloadOK, reloadRefused} {
		s.reloading.results.WithLabelValues(r)
	}
	s.rt.Store(initial)
	s.metrics.reg.MustRegister(s.reloading.results, &routerInfoCollector{s: s})
}

// errNoLoader refuses a reload when the Server was built without one.
var errNoLoader = errors.New("the gateway has no router model to reload (router.model_path is not set)")

// ReloadRouter loads router.model_path again and, when the model loads and
// suits the config, swaps it in for new requests. A model that fails is
// refused: the running one stays, and the refusal is logged and counted.
// trigger says what asked ("sighup", "watch") for the log.
func (s *Server) ReloadRouter(ctx context.Context, trigger string) error {
	rl := s.reloading
	rl.mu.Lock()
	defer rl.mu.Unlock()
	start := time.Now()
	old := s.rt.Load()
	st, err := s.loadState(ctx, old)
	if err != nil {
		rl.results.WithLabelValues(reloadRefused).Inc()
		s.log.Warn("router model reload refused; the running model stays", "trigger", trigger,
			"model_path", s.cfg.Router.ModelPath, "running_version", old.version, "reason", err.Error())
		return err
	}
	s.rt.Store(st)
	rl.results.WithLabelValues(reloadOK).Inc()
	s.log.Info("router model reloaded", "trigger", trigger, "model_path", s.cfg.Router.ModelPath,
		"version", st.version, "previous_version", old.version, "kind", st.kind,
		"cascade", st.servesCascade(), "took_ms", float64(time.Since(start).Microseconds())/1000)
	return nil
}

// loadState reads the model and checks it can replace old.
func (s *Server) loadState(ctx context.Context, old *routerState) (*routerState, error) {
	if s.reloading.load == nil {
		return nil, errNoLoader
	}
	files := modelFingerprint(s.cfg.Router.ModelPath)
	lr, err := s.reloading.load(ctx)
	if err != nil {
		return nil, err
	}
	st, err := newRouterState(s.cfg, s.cat, lr, s.now())
	if err != nil {
		return nil, err
	}
	st.files = files
	if err := compatible(s.cfg, old, st); err != nil {
		return nil, err
	}
	return st, nil
}

// compatible refuses a model that would silently change what the running
// config means: losing "router-cascade" breaks the clients using it, and
// router.threshold is a score cut-off for a two-model router but the
// cost–quality knob of an N-model one.
func compatible(cfg *Config, old, next *routerState) error {
	if old.router != nil && next.router == nil {
		return fmt.Errorf("%s: the new model does not route, and the running one does", cfg.Router.ModelPath)
	}
	if old.servesCascade() && !next.servesCascade() {
		return fmt.Errorf("%s: the new model has no cascade verifier, and the running one serves \"router-cascade\" (restart the gateway to drop it)", cfg.Router.ModelPath)
	}
	if old.router != nil && cfg.Router.Threshold != nil && old.multi() != next.multi() {
		kinds := map[bool]string{false: "two-model", true: "N-model"}
		return fmt.Errorf("%s: the new model is a %s router and the running one a %s router; router.threshold means something else for each (restart the gateway to switch)",
			cfg.Router.ModelPath, kinds[next.multi()], kinds[old.multi()])
	}
	return nil
}

// routerInfoCollector exports the serving model's version and load time
// from the current state, so the two always describe the same model.
type routerInfoCollector struct{ s *Server }

var (
	routerInfoDesc = prometheus.NewDesc("llmrouter_router_info",
		"The router model serving new requests: version (12 hex digits of its weights' SHA-256), kind and training_data (12 hex digits of its training data's SHA-256); always 1.",
		[]string{"version", "kind", "training_data"}, nil)
	routerLoadedDesc = prometheus.NewDesc("llmrouter_router_loaded_timestamp_seconds",
		"When the serving router model was loaded (at startup or by the last successful reload), Unix seconds.", nil, nil)
)

func (c *routerInfoCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- routerInfoDesc
	ch <- routerLoadedDesc
}

func (c *routerInfoCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.rt.Load()
	if st.router == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(routerInfoDesc, prometheus.GaugeValue, 1, st.version, st.kind, short(st.data))
	ch <- prometheus.MustNewConstMetric(routerLoadedDesc, prometheus.GaugeValue, float64(st.loadedAt.UnixNano())/1e9)
}

// routerVersionAttrs adds the version of the model that routed x to its
// log line.
func (x *exchange) routerVersionAttrs(attrs []slog.Attr) []slog.Attr {
	if v := x.routerVersion(); v != "" {
		attrs = append(attrs, slog.String("router_version", v))
	}
	return attrs
}

// watchRouter polls router.model_path every interval and reloads once its
// files have changed and then stayed the same for one more poll: train and
// calibrate replace them atomically, but a copy by hand may be caught
// half-way. A refused model is not retried until its files change again.
func (s *Server) watchRouter(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	seen := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp := modelFingerprint(s.cfg.Router.ModelPath)
		if fp != seen {
			seen = fp
			continue
		}
		s.reloading.mu.Lock()
		stale := fp != s.rt.Load().files && fp != s.reloading.tried
		if stale {
			s.reloading.tried = fp
		}
		s.reloading.mu.Unlock()
		if stale {
			_ = s.ReloadRouter(ctx, "watch") // logged and counted
		}
	}
}

// startWatch runs the watcher when router.watch asks for it; stop ends it
// and waits.
func (s *Server) startWatch(ctx context.Context) (stop func()) {
	rc := s.cfg.Router
	if !rc.Watch || rc.ModelPath == "" || s.reloading.load == nil {
		return func() {}
	}
	every := rc.WatchInterval
	if every <= 0 { // a Config built in code, without ParseConfig's defaults
		every = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.watchRouter(ctx, every)
	}()
	s.log.Info("watching the router model for changes", "model_path", rc.ModelPath, "interval", every)
	return func() {
		cancel()
		<-done
	}
}

// modelFiles are the files of a model directory that a reload reads.
var modelFiles = []string{router.MetaFile, router.WeightsFile, cascade.MetaFile, cascade.WeightsFile}

// modelFingerprint sums up a model directory: each file's size and
// modification time, and the metadata files' contents, whose recorded
// weight digests change with the weights. A missing file is part of the
// fingerprint, not an error, so a broken model still triggers a (refused)
// reload and its reason is logged.
func modelFingerprint(dir string) string {
	var b strings.Builder
	for _, name := range modelFiles {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			fmt.Fprintf(&b, "%s:missing;", name)
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d", name, fi.Size(), fi.ModTime().UnixNano())
		if strings.HasSuffix(name, ".json") {
			if data, err := os.ReadFile(path); err == nil {
				sum := sha256.Sum256(data)
				b.WriteString(":" + hex.EncodeToString(sum[:8]))
			}
		}
		b.WriteString(";")
	}
	return b.String()
}

// classifierLoader loads the trained router at router.model_path with its
// cascade verifier.
func classifierLoader(cfg *Config) RouterLoader {
	dir := cfg.Router.ModelPath
	return func(ctx context.Context) (LoadedRouter, error) {
		if err := ctx.Err(); err != nil {
			return LoadedRouter{}, err
		}
		m, err := router.Load(dir)
		if err != nil {
			return LoadedRouter{}, fmt.Errorf("router.model_path: %w", err)
		}
		lr := LoadedRouter{Router: m, Version: short(m.Meta.WeightsSHA256)}
		if m.Cascade != nil { // a nil *cascade.Verifier must stay a nil interface
			lr.Cascade = m.Cascade
		}
		return lr, nil
	}
}

func (rc *RouterConfig) validateWatch() error {
	if rc.WatchInterval < 0 {
		return fmt.Errorf("router.watch_interval: must be > 0, got %s", rc.WatchInterval)
	}
	if rc.Watch && rc.ModelPath == "" {
		return errors.New("router.watch: needs router.model_path, the model directory to watch")
	}
	return nil
}
