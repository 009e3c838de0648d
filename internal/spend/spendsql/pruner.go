package spendsql

import (
	"context"
	"log/slog"
	"time"
)

// Pruner runs a store's prune in the background: shortly after start,
// then every interval. Pruning never holds the writer: it runs on its own
// goroutine and connection, in small statements (PruneOptions).
type Pruner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// PruneFunc prunes everything older than the retention as of now.
type PruneFunc func(ctx context.Context, now time.Time) (int64, error)

// firstPrune delays the first run past a replica's start-up.
const firstPrune = 30 * time.Second

// StartPruner runs prune every interval (hourly when interval is not
// positive, the stores' documented default) until Stop.
func StartPruner(interval time.Duration, prune PruneFunc, log *slog.Logger, name string) *Pruner {
	if interval <= 0 {
		interval = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pruner{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		wait := min(firstPrune, interval)
		for {
			if err := sleep(ctx, wait); err != nil {
				return
			}
			wait = interval
			start := time.Now()
			n, err := prune(ctx, start)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("spend: prune failed; retrying at the next interval", "store", name, "deleted", n, "err", err)
			case n > 0:
				log.Info("spend: pruned records past retention", "store", name, "deleted", n, "took", time.Since(start).Round(time.Millisecond))
			}
		}
	}()
	return p
}

// Stop cancels a running prune and waits for it.
func (p *Pruner) Stop() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
}
