package oracle

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports finished questions and running cost: a bar with ETA on a
// terminal, otherwise a log line every 5% or every 10 seconds.
type progress struct {
	mu       sync.Mutex
	total    int
	done     int
	cost     float64
	start    time.Time
	bar      *progressbar.ProgressBar
	w        io.Writer
	log      *slog.Logger
	lastStep int
	stopTick chan struct{}
	// window and maxWindow show the concurrency while rate limited;
	// requeues counts calls put back after a 429.
	window, maxWindow, requeues int
	wg                          sync.WaitGroup
}

const logEvery = 10 * time.Second

func newProgress(cfg Config, total int) *progress {
	p := &progress{total: total, start: time.Now(), log: cfg.Logger}
	if cfg.Progress != nil && cfg.IsTTY {
		p.w = cfg.Progress
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(cfg.Progress),
			progressbar.OptionSetDescription("oracle $0.0000"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(cfg.Progress) }),
		)
		return p
	}
	p.stopTick = make(chan struct{})
	p.wg.Add(1)
	go p.tick()
	return p
}

func (p *progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(logEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.mu.Lock()
			p.logLine()
			p.mu.Unlock()
		case <-p.stopTick:
			return
		}
	}
}

// add counts one finished question.
func (p *progress) add(*itemState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.bar != nil {
		_ = p.bar.Add(1)
		return
	}
	if step := p.done * 20 / p.total; step > p.lastStep {
		p.lastStep = step
		p.logLine()
	}
}

func (p *progress) addCost(c float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cost += c
	p.describe()
}

// setWindow records a concurrency adjustment: the bar shows it at once, the
// periodic log line from then on (the adjustment itself is logged once).
func (p *progress) setWindow(window, maxWindow int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.window, p.maxWindow = window, maxWindow
	p.describe()
}

func (p *progress) requeued() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requeues++
}

func (p *progress) throttled() bool { return p.window < p.maxWindow }

// describe must be called with p.mu held.
func (p *progress) describe() {
	if p.bar == nil {
		return
	}
	d := fmt.Sprintf("oracle $%.4f", p.cost)
	if p.throttled() {
		d += fmt.Sprintf(" (rate limited: %d/%d in flight)", p.window, p.maxWindow)
	}
	p.bar.Describe(d)
}

// logLine must be called with p.mu held.
func (p *progress) logLine() {
	elapsed := time.Since(p.start)
	args := []any{"done", p.done, "total", p.total, "cost_usd", fmt.Sprintf("%.4f", p.cost), "elapsed", elapsed.Round(time.Second)}
	if p.throttled() {
		args = append(args, "concurrency", fmt.Sprintf("%d/%d", p.window, p.maxWindow))
	}
	if p.requeues > 0 {
		args = append(args, "rate_limit_requeues", p.requeues)
	}
	if p.done > 0 && p.done < p.total {
		eta := time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))
		args = append(args, "eta", eta.Round(time.Second))
	}
	p.log.Info("oracle progress", args...)
}

func (p *progress) finish() {
	if p.stopTick != nil {
		close(p.stopTick)
		p.wg.Wait()
		return
	}
	if p.bar != nil {
		p.mu.Lock()
		if p.done < p.total {
			// Interrupted or failed: leave the bar where it stopped.
			fmt.Fprintln(p.w)
		}
		p.mu.Unlock()
	}
}
