package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"
)

// jsonCell is one implementation of one step: medians over the rounds.
type jsonCell struct {
	perOp  time.Duration
	allocs float64
}

// jsonRun is everything the JSON section measured.
type jsonRun struct {
	steps   []jsonStep
	cells   []map[string]jsonCell // by step, then implementation
	gateway jsonCell              // one request through the in-process gateway
	// spread is the gateway's interquartile range over its rounds,
	// relative to the median: how much a difference must exceed to show.
	spread float64
	rounds int
}

// jsonSection compares the gateway's JSON code with encoding/json and
// go-json-experiment/json on the gateway's real bodies, and sets the
// difference against the gateway's own work per request.
func (b *bench) jsonSection(ctx context.Context) (*Section, error) {
	s := &Section{Title: "JSON encoding and decoding",
		Intro: "A non-streamed request takes four JSON steps in the gateway: parse the client's request, encode the upstream request, decode the upstream's answer, encode the gateway's answer; " +
			"a streamed one decodes every upstream event. Each step is measured on the gateway's real bodies (a system prompt and a 150-word question, the upstream request made of it, recorded OpenAI answers and stream events) " +
			"three ways in the same run: the code the gateway runs, encoding/json, and go-json-experiment/json (the encoding/json/v2 prototype, a maintained fast library) with the options that make it decode and encode exactly as encoding/json does, " +
			"which a replacement of code that must keep the gateway's bytes would need. The sum is set against the gateway's own work per request, measured in the same run."}
	fx, err := loadJSONFixtures()
	if err != nil {
		return nil, err
	}
	run, err := b.measureJSON(ctx, fx)
	if err != nil {
		return nil, err
	}
	s.Tables = append(s.Tables, run.stepTable(), run.requestTable())
	s.note("Each step is timed over a batch of calls sized to take about %s, %d rounds with every implementation interleaved, the median round reported; allocations are heap allocations per call over the same batches. `go test -run '^$' -bench JSON -count 10 ./bench | benchstat -col /impl -` runs the same steps as Go benchmarks.", dur(b.jsonBatch()), run.rounds)
	s.note("For the request parse, encoding/json and json/v2 only decode the body into the same Go types, without the validation and the errors that name the field a client got wrong: a lower bound for a parser built on them. The hand-written parser does all of it, and falls back to encoding/json for anything unusual, so that errors keep its wording.")
	s.note("The gateway's own work: `server.New` as serve builds it (provider registry with the real OpenAI-compatible client and its retries, the trained MMLU SFT+DPO router, budgets in memory) with a no-op spend store and logs to nowhere, the request above sent to model `router`, and an in-memory upstream transport answering the longer recorded answer: everything a request costs the gateway except sockets and the spend store.")
	s.Notes = append(s.Notes, run.decision()...)
	return s, nil
}

// jsonBatch is how long one batch of calls of a step should take.
func (b *bench) jsonBatch() time.Duration { return b.dur(20*time.Millisecond, 200*time.Microsecond) }

func (b *bench) measureJSON(ctx context.Context, fx *jsonFixtures) (*jsonRun, error) {
	h, body, err := b.jsonGateway(ctx, fx)
	if err != nil {
		return nil, err
	}
	run := &jsonRun{steps: jsonSteps(fx), rounds: b.size(10, 2)}
	gateway := func() error {
		if rec := serveOnce(h, body); rec.Code != http.StatusOK {
			return fmt.Errorf("in-process gateway: status %d", rec.Code)
		}
		return nil
	}
	// Batch sizes are fixed up front so that every round does the same work.
	type op struct {
		step int // -1: the gateway
		impl string
		fn   func() error
		n    int
		t    []float64
		a    []float64
	}
	ops := []*op{{step: -1, fn: gateway}}
	for i, st := range run.steps {
		for _, impl := range implKeys {
			if fn := st.ops[impl]; fn != nil {
				ops = append(ops, &op{step: i, impl: impl, fn: fn})
			}
		}
	}
	for _, o := range ops {
		if o.n, err = jsonBatchSize(o.fn, b.jsonBatch()); err != nil {
			return nil, err
		}
	}
	for range run.rounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, o := range ops {
			d, a, err := timeJSONCalls(o.fn, o.n)
			if err != nil {
				return nil, err
			}
			o.t, o.a = append(o.t, float64(d)), append(o.a, a)
		}
	}
	run.cells = make([]map[string]jsonCell, len(run.steps))
	for i := range run.cells {
		run.cells[i] = map[string]jsonCell{}
	}
	for _, o := range ops {
		c := jsonCell{perOp: time.Duration(median(o.t)), allocs: median(o.a)}
		if o.step < 0 {
			run.gateway = c
			run.spread = iqr(o.t) / median(o.t)
		} else {
			run.cells[o.step][o.impl] = c
		}
	}
	return run, nil
}

// iqr is the interquartile range of xs (linear interpolation).
func iqr(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(q float64) float64 {
		if len(s) == 0 {
			return math.NaN()
		}
		p := q * float64(len(s)-1)
		lo := int(p)
		hi := min(lo+1, len(s)-1)
		return s[lo] + (s[hi]-s[lo])*(p-float64(lo))
	}
	return at(0.75) - at(0.25)
}

// jsonBatchSize is how many calls of fn take about d, from a short warm-up.
func jsonBatchSize(fn func() error, d time.Duration) (int, error) {
	start := time.Now()
	n := 0
	for n < 10 || time.Since(start) < d/10 {
		if err := fn(); err != nil {
			return 0, err
		}
		n++
	}
	per := time.Since(start) / time.Duration(n)
	return max(1, int(d/max(per, 1))), nil
}

// timeJSONCalls calls fn n times and returns the time and heap allocations
// per call.
func timeJSONCalls(fn func() error, n int) (time.Duration, float64, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range n {
		if err := fn(); err != nil {
			return 0, 0, err
		}
	}
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return d / time.Duration(n), float64(after.Mallocs-before.Mallocs) / float64(n), nil
}

func (c jsonCell) String() string {
	unit := "allocs"
	if math.Round(c.allocs) == 1 {
		unit = "alloc"
	}
	return fmt.Sprintf("%s (%s %s)", dur(c.perOp), f(c.allocs, 0), unit)
}

func (r *jsonRun) stepTable() Table {
	t := Table{Caption: "Each step, median time and heap allocations per call; the ratios divide by the gateway's own code in the same run.",
		Header: []string{"step", "JSON bytes", "the gateway runs", implLabels[implHand], implLabels[implStd], implLabels[implV2],
			"encoding/json ÷ hand-written", "json/v2 ÷ hand-written"}}
	for i, st := range r.steps {
		c := r.cells[i]
		row := []string{st.label, fmt.Sprint(st.size), implLabels[st.built]}
		for _, impl := range implKeys {
			if cell, ok := c[impl]; ok {
				row = append(row, cell.String())
			} else {
				row = append(row, "—")
			}
		}
		for _, impl := range []string{implStd, implV2} {
			row = append(row, ratio(r.ratio(i, impl, implHand)))
		}
		t.add(row...)
	}
	return t
}

// ratio is step i's time with impl over its time with base; NaN when
// either was not measured.
func (r *jsonRun) ratio(i int, impl, base string) float64 {
	a, ok1 := r.cells[i][impl]
	b, ok2 := r.cells[i][base]
	if !ok1 || !ok2 {
		return math.NaN()
	}
	return float64(a.perOp) / float64(b.perOp)
}

// requestJSON is the time of the four steps of one non-streamed request
// with impl, or with what the gateway runs when impl is "".
func (r *jsonRun) requestJSON(impl string) time.Duration {
	var sum time.Duration
	for i, st := range r.steps {
		if !st.perRequest {
			continue
		}
		pick := impl
		if pick == "" {
			pick = st.built
		}
		sum += r.cells[i][pick].perOp
	}
	return sum
}

func (r *jsonRun) eventJSON(impl string) time.Duration {
	for i, st := range r.steps {
		if st.key == "decode-event" {
			if impl == "" {
				impl = st.built
			}
			return r.cells[i][impl].perOp
		}
	}
	return 0
}

func (r *jsonRun) requestTable() Table {
	t := Table{Caption: fmt.Sprintf("One non-streamed request: its four JSON steps against the gateway's own work per request in the same run, %s with %s heap allocations.", dur(r.gateway.perOp), f(r.gateway.allocs, 0)),
		Header: []string{"JSON done with", "JSON per request", "added per request", "share of the gateway's own work", "decode per stream event", "added per event"}}
	built, builtEvent := r.requestJSON(""), r.eventJSON("")
	add := func(label, impl string) {
		req, ev := r.requestJSON(impl), r.eventJSON(impl)
		addReq, addEv := signedDur(req-built), signedDur(ev-builtEvent)
		if impl == "" {
			addReq, addEv = "—", "—"
		}
		t.add(label, dur(req), addReq, pct(float64(req)/float64(r.gateway.perOp)), dur(ev), addEv)
	}
	add("what the gateway runs", "")
	add("encoding/json everywhere", implStd)
	add("json/v2 (v1 options) everywhere", implV2)
	return t
}

func signedDur(d time.Duration) string {
	if d < 0 {
		return "−" + dur(-d)
	}
	return "+" + dur(d)
}

// visibleShare is the part of the gateway's own work per request that
// hand-written JSON code must save over encoding/json to be kept: less is
// under 1% of the gateway's CPU per request over the wire (section
// "Gateway overhead"), which no end-to-end figure resolves.
const visibleShare = 0.05

// jsonGroup is a set of steps decided together.
type jsonGroup struct {
	name  string
	steps []string // step keys counted per request
	event bool     // the stream event decode goes with it
	// replaced describes the hand-written code the group no longer runs,
	// measured before it was removed; empty while it is built.
	replaced string
}

var jsonGroups = []jsonGroup{
	{name: "Decoders (the client's request, upstream answers and stream events)", steps: []string{"parse-request", "decode-long-reply"}, event: true},
	{name: "Encoders (the upstream request, the gateway's answer)", steps: []string{"encode-upstream-request", "encode-answer"},
		replaced: "The hand-written encoders it replaced saved 2.46 µs per request, 3.7% of the gateway's own work (66.4 µs), under the bar, in the run that decided it " +
			"(commit 3814405, same method with benchstat over 10 runs: upstream request 0.98 against 1.94 µs, answer 0.75 against 2.25 µs; json/v2 was slower than encoding/json on both, 2.46 and 2.97 µs), " +
			"and every new request field had to be written into them by hand. Without them, neither the in-process gateway above nor `go test -bench ChatCompletion ./internal/server/` changed significantly (benchstat, 10 interleaved runs each, p > 0.1)."},
}

// groupJSON is the per-request time of g's steps with impl ("" for what
// the gateway runs); ok is false when one was not measured.
func (r *jsonRun) groupJSON(g jsonGroup, impl string) (time.Duration, bool) {
	var sum time.Duration
	for i, st := range r.steps {
		if !slices.Contains(g.steps, st.key) {
			continue
		}
		pick := impl
		if pick == "" {
			pick = st.built
		}
		c, ok := r.cells[i][pick]
		if !ok {
			return 0, false
		}
		sum += c.perOp
	}
	return sum, true
}

// decision states the rule and what this run's figures decide, one note
// per group of steps.
func (r *jsonRun) decision() []string {
	own := float64(r.gateway.perOp)
	bar := visibleShare * own
	notes := []string{fmt.Sprintf("The rule: encoding/json, unless hand-written code saves more than %s of the gateway's own work per request over it (%s in this run). "+
		"Less does not show end to end: the own work measured here (to within %s between rounds, interquartile range) is a fraction of the gateway's CPU per request over the wire (section \"Gateway overhead\"), and %s of it is under 1%% of that.",
		pct(visibleShare), dur(time.Duration(bar)), pct(r.spread), pct(visibleShare))}
	for _, g := range r.groups() {
		hand, okHand := r.groupJSON(g, implHand)
		if g.replaced != "" || !okHand {
			notes = append(notes, fmt.Sprintf("%s: encoding/json. %s", g.name, g.replaced))
			continue
		}
		std, _ := r.groupJSON(g, implStd)
		v2, _ := r.groupJSON(g, implV2)
		var b strings.Builder
		fmt.Fprintf(&b, "%s: encoding/json would add %s per request (%s)", g.name, dur(std-hand), pct(float64(std-hand)/own))
		if g.event {
			fmt.Fprintf(&b, " and %s per stream event", dur(r.eventJSON(implStd)-r.eventJSON(implHand)))
		}
		if float64(std-hand) <= bar {
			b.WriteString(", within the bar: they should be replaced.")
			notes = append(notes, b.String())
			continue
		}
		fmt.Fprintf(&b, ": kept hand-written. json/v2 takes %s their time (%s per request, %s",
			ratio(float64(v2)/float64(hand)), signedDur(v2-hand), pct(float64(v2-hand)/own))
		if g.event {
			fmt.Fprintf(&b, "; %s per stream event", signedDur(r.eventJSON(implV2)-r.eventJSON(implHand)))
		}
		if v2 < hand {
			b.WriteString("): faster, and worth adopting.")
		} else {
			b.WriteString(", with the request parse counted as a bare decode): it would save no time and add a dependency to the gateway, and the request parser would keep its scanner for errors that name the field, so it could replace only the answer decoder. No library.")
		}
		notes = append(notes, b.String())
	}
	return notes
}

func (r *jsonRun) groups() []jsonGroup { return jsonGroups }
