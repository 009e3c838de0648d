package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/llmrouter/llmrouter/bench/internal/stats"
)

// cascadeRate is the open-loop rate of the over-the-wire comparison:
// enough requests for CPU per request to be steady, far from saturation.
const cascadeRate = 400.0

// wireRun is the over-the-wire measurement: the fake upstream directly,
// then each cascadeKind through the gateway, under load (answers at once)
// and streamed (answers paced like a model).
type wireRun struct {
	via        string // how the gateway ran
	load, ttft []phase
}

// pace is how the pacing proxy makes the fake answer like a model.
func (b *bench) pace() pacedReq {
	if b.opts.smoke {
		return pacedReq{FirstByte: 2 * time.Millisecond, Event: 200 * time.Microsecond}
	}
	return pacedReq{FirstByte: 200 * time.Millisecond, Event: 20 * time.Millisecond}
}

func (b *bench) cascadeWire(ctx context.Context, cd *cascadeData) (*wireRun, error) {
	req := b.pace()
	req.Answers = cd.answers
	c, err := startChild(ctx, "paced", req, nil)
	if err != nil {
		return nil, err
	}
	var pr pacedResp
	if err := c.read(&pr); err != nil {
		c.kill()
		return nil, err
	}
	run := &wireRun{}
	for i, base := range []string{pr.Instant, pr.Paced} {
		g, stop, err := b.cascadeGateway(ctx, cd, base, pr.PID, i)
		if err != nil {
			c.kill()
			return nil, err
		}
		run.via = g.via
		if i == 0 {
			run.load, err = g.cascadeLoad(ctx)
		} else {
			run.ttft, err = g.cascadeStreams(ctx)
		}
		stop()
		if err != nil {
			c.kill()
			return nil, err
		}
	}
	return run, c.wait()
}

// cascadeGateway starts a gateway in front of fakeURL and warms it up.
// Its endpoints are the fake directly, then one per cascadeKind.
func (b *bench) cascadeGateway(ctx context.Context, cd *cascadeData, fakeURL string, fakePID, n int) (*gwBench, func(), error) {
	cfgPath := filepath.Join(b.opts.workDir, fmt.Sprintf("cascade_router_%d.yaml", n))
	spendDB := filepath.Join(b.opts.workDir, fmt.Sprintf("cascade_spend_%d.db", n))
	if err := os.WriteFile(cfgPath, []byte(cascadeConfig(fakeURL, cd.modelDir, spendDB)), 0o644); err != nil {
		return nil, nil, err
	}
	gw, via, err := b.launchGateway(ctx, cfgPath)
	if err != nil {
		return nil, nil, err
	}
	g := &gwBench{b: b, via: via, maxTokens: 512, client: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second, DisableCompression: true}}}
	g.direct = endpoint{name: "direct", url: fakeURL + "/v1/chat/completions", model: "fake-cheap", pid: fakePID}
	g.gw = endpoint{name: "gateway", url: gw.url + "/v1/chat/completions", model: "router", pid: gw.pid}
	for _, q := range cd.questions {
		data, _ := json.Marshal(q)
		g.queries = append(g.queries, data)
	}
	stop := func() {
		g.client.CloseIdleConnections()
		gw.stop()
	}
	if err := g.cascadeWarmUp(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return g, stop, nil
}

// cascadeEndpoints: the fake directly, then the gateway once per kind.
func (g *gwBench) cascadeEndpoints() []endpoint {
	out := []endpoint{g.direct}
	for _, k := range cascadeKinds {
		e := g.gw
		e.name, e.model = k.name, k.model
		out = append(out, e)
	}
	return out
}

// cascadeWarmUp checks that each kind ends as it should, then lets every
// endpoint reach steady state.
func (g *gwBench) cascadeWarmUp(ctx context.Context) error {
	for i, e := range g.cascadeEndpoints()[1:] {
		resp, err := g.post(ctx, e, false)
		if err != nil {
			return fmt.Errorf("cascade warm-up: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got, want := resp.Header.Get("X-Router-Cascade"), cascadeKinds[i].outcome; got != want {
			return fmt.Errorf("cascade warm-up: %s ended %q, want %q", e.name, got, want)
		}
	}
	return g.closedWarmUp(ctx, g.cascadeEndpoints(), g.b.size(400, 10))
}

// cascadeLoad runs open-loop load against each endpoint, interleaved over
// rounds so that drift in the machine's load touches every kind alike.
func (g *gwBench) cascadeLoad(ctx context.Context) ([]phase, error) {
	eps := g.cascadeEndpoints()
	acc := make([]phase, len(eps))
	win := g.b.dur(4*time.Second, 100*time.Millisecond)
	for range g.b.size(3, 1) {
		for i, e := range eps {
			p, err := g.openLoop(ctx, e, cascadeRate, win)
			if err != nil {
				return nil, err
			}
			acc[i].res.Latencies = append(acc[i].res.Latencies, p.res.Latencies...)
			acc[i].res.Sent += p.res.Sent
			acc[i].res.Errors += p.res.Errors
			acc[i].cpu += p.cpu
			acc[i].wall += p.wall
		}
	}
	for i := range acc {
		acc[i].sum = stats.Summarize(acc[i].res.Latencies)
	}
	return acc, nil
}

// cascadeStreams times the first token of streamed requests against the
// paced fake.
func (g *gwBench) cascadeStreams(ctx context.Context) ([]phase, error) {
	var out []phase
	for _, e := range g.cascadeEndpoints() {
		p, err := g.streamPhase(ctx, e, float64(g.b.size(25, 20)), g.b.dur(6*time.Second, 100*time.Millisecond))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func cpuPerRequest(p phase) time.Duration { return p.cpu / time.Duration(max(1, p.res.Sent)) }

func ownTable(own *ownWork, wire *wireRun) Table {
	t := Table{Caption: "The gateway's own work per request, in process and over the wire, against a plain routed request measured in the same run.",
		Header: []string{"request", "upstream calls", "in process: time per request", "allocs per request", "vs plain routed",
			"over the wire: gateway CPU per request", "vs plain routed", "latency over direct p50 / p99", "errors"}}
	base := wire.load[1]
	for k, kind := range cascadeKinds {
		p := wire.load[k+1]
		d := wire.load[0].sum
		t.add(kind.name, fmt.Sprint(kind.calls), dur(own.perOp[k]), f(own.allocs[k], 0), ratio(float64(own.perOp[k])/float64(own.perOp[0])),
			dur(cpuPerRequest(p)), ratio(float64(cpuPerRequest(p))/float64(cpuPerRequest(base))),
			dur(p.sum.P50-d.P50)+" / "+dur(p.sum.P99-d.P99), pct(p.res.ErrorRate()))
	}
	t.add("the verifier alone (`Score` on the same cheap answers)", "—", dur(own.verify), "—", ratio(float64(own.verify)/float64(own.perOp[0])), "—", "—", "—", "—")
	return t
}

func (w *wireRun) ttftTable() Table {
	t := Table{Caption: "Streamed requests against the paced fake: time to first token (the first SSE event with content) and the whole stream.",
		Header: []string{"path", "TTFT p50", "TTFT p99", "stream p50", "stream p99", "TTFT p50 vs plain routed", "errors"}}
	names := []string{"direct to the paced fake (the model alone)"}
	for _, k := range cascadeKinds {
		names = append(names, k.name+", streamed")
	}
	base := w.ttft[1].ttft.P50
	for i, p := range w.ttft {
		vs := "—"
		if i > 0 {
			vs = "+" + dur(p.ttft.P50-base) + " (" + ratio(float64(p.ttft.P50)/float64(base)) + ")"
		}
		t.add(names[i], dur(p.ttft.P50), dur(p.ttft.P99), dur(p.sum.P50), dur(p.sum.P99), vs, pct(p.res.ErrorRate()))
	}
	return t
}

func cascadeTargets(own *ownWork, wire *wireRun, smoke bool) Table {
	t := Table{Caption: "Targets, on this machine:", Header: []string{"target", "measured", "target met?"}}
	ok := func(b bool) string { return met(b && !smoke) }
	inProc := float64(own.perOp[1]) / float64(own.perOp[0])
	cpu := float64(cpuPerRequest(wire.load[2])) / float64(cpuPerRequest(wire.load[1]))
	t.add(fmt.Sprintf("an accepted cascade's own work ≤ %.1f× a plain routed request's, in process", cascadeOwnTarget),
		fmt.Sprintf("%s (%s vs %s)", ratio(inProc), dur(own.perOp[1]), dur(own.perOp[0])), ok(inProc <= cascadeOwnTarget))
	t.add(fmt.Sprintf("the same, as gateway CPU per request over the wire (≤ %.1f×)", cascadeOwnTarget),
		fmt.Sprintf("%s (%s vs %s)", ratio(cpu), dur(cpuPerRequest(wire.load[2])), dur(cpuPerRequest(wire.load[1]))), ok(cpu <= cascadeOwnTarget))
	rest := float64(own.perOp[1]-own.verify) / float64(own.perOp[0])
	t.add("an accepted cascade's own work without the verifier's time, in process: no target (what the gateway adds around the verifier)",
		fmt.Sprintf("%s (%s, of which the verifier %s)", ratio(rest), dur(own.perOp[1]), dur(own.verify)), "—")
	t.add("an escalated cascade (two upstream calls): no target",
		fmt.Sprintf("%s in process, %s CPU over the wire", ratio(float64(own.perOp[2])/float64(own.perOp[0])),
			ratio(float64(cpuPerRequest(wire.load[3]))/float64(cpuPerRequest(wire.load[1])))), "—")
	t.add("streamed cascade time to first token: no target (the cheap answer must be complete before it is verified)",
		fmt.Sprintf("accepted %s, escalated %s, plain routed %s (p50)", dur(wire.ttft[2].ttft.P50), dur(wire.ttft[3].ttft.P50), dur(wire.ttft[1].ttft.P50)), "—")
	return t
}
