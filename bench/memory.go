package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/bench/internal/loadgen"
	"github.com/llmrouter/llmrouter/bench/internal/proc"
	"github.com/llmrouter/llmrouter/bench/internal/stats"
)

// memoryRun is the gateway's RSS sampled during a long constant-rate run.
type memoryRun struct {
	at   []time.Duration
	rss  []int64
	res  loadgen.Result
	rate float64
}

const memSampleEvery = 5 * time.Second

// memory drives the gateway at rate for d, sampling its RSS.
func (g *gwBench) memory(ctx context.Context, d time.Duration, rate float64) (*memoryRun, error) {
	m := &memoryRun{rate: rate}
	var wg sync.WaitGroup
	var lerr error
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.res, lerr = loadgen.OpenLoop(ctx, rate, int(rate*d.Seconds()), d+time.Second, 10*time.Second, g.do(g.gw))
	}()
	tick := time.NewTicker(memSampleEvery)
	defer tick.Stop()
	for time.Since(start) < d {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		case <-tick.C:
		}
		u, err := proc.Read(g.gw.pid)
		if err != nil {
			wg.Wait()
			return nil, err
		}
		m.at, m.rss = append(m.at, time.Since(start).Round(time.Second)), append(m.rss, u.RSS)
	}
	wg.Wait()
	if lerr != nil {
		return nil, lerr
	}
	return m, nil
}

// baseline is the RSS after the first 10 s (warm pools and caches).
func (m *memoryRun) baseline() int64 {
	for i, t := range m.at {
		if t >= 10*time.Second {
			return m.rss[i]
		}
	}
	return 0
}

func (m *memoryRun) flat() bool {
	b := m.baseline()
	return b > 0 && len(m.rss) > 0 && float64(m.rss[len(m.rss)-1]) <= 1.1*float64(b) && m.res.Errors == 0
}

// slope is RSS growth after the baseline in MiB per minute.
func (m *memoryRun) slope() float64 {
	var xs, ys []float64
	for i, t := range m.at {
		if t >= 10*time.Second {
			xs, ys = append(xs, t.Minutes()), append(ys, float64(m.rss[i])/(1<<20))
		}
	}
	return stats.Slope(xs, ys)
}

func (m *memoryRun) summary() string {
	if len(m.rss) == 0 {
		return "no samples"
	}
	last := m.rss[len(m.rss)-1]
	return fmt.Sprintf("%s after 10 s → %s at %v (%+.1f%%; slope %s MiB/min; %d errors of %d)",
		mib(m.baseline()), mib(last), m.at[len(m.at)-1], 100*(float64(last)/float64(m.baseline())-1), f(m.slope(), 2), m.res.Errors, m.res.Sent)
}

func (m *memoryRun) table() Table {
	t := Table{Caption: fmt.Sprintf("Gateway RSS while serving %.0f req/s for 60 s (sampled every %v from /proc).", m.rate, memSampleEvery),
		Header: []string{"elapsed", "gateway RSS"}}
	for i := range m.at {
		t.add(m.at[i].String(), mib(m.rss[i]))
	}
	return t
}
