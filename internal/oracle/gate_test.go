package oracle

import (
	"context"
	"testing"
	"time"
)

type windowChange struct{ from, to int }

func recordingGate(limit int) (*gate, *[]windowChange) {
	var changes []windowChange
	g := newGate(limit, func(from, to, _ int) { changes = append(changes, windowChange{from, to}) })
	return g, &changes
}

func mustAcquire(t *testing.T, g *gate) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	e, err := g.acquire(ctx)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	return e
}

func TestGateAIMD(t *testing.T) {
	tests := []struct {
		name     string
		max      int
		inflight int // slots held when the 429 arrives
		limited  int // 429s reported from those calls, same epoch
		want     int // window after them
	}{
		{name: "halves what was in flight, not the configured max", max: 128, inflight: 40, limited: 1, want: 20},
		{name: "a burst of 429s from one window halves once", max: 16, inflight: 16, limited: 10, want: 8},
		{name: "floor is one", max: 1, inflight: 1, limited: 1, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := recordingGate(tt.max)
			epochs := make([]uint64, tt.inflight)
			for i := range epochs {
				epochs[i] = mustAcquire(t, g)
			}
			for i := range tt.limited {
				g.rateLimited(epochs[i])
			}
			if got := g.size(); got != tt.want {
				t.Fatalf("window = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGateGrowsBackAdditively(t *testing.T) {
	g, changes := recordingGate(4)
	var e uint64
	for range 4 {
		e = mustAcquire(t, g)
	}
	g.rateLimited(e) // 4 in flight -> 2
	for range 4 {
		g.release()
	}
	// A second signal from a call of the old window changes nothing.
	g.rateLimited(e)
	if g.size() != 2 {
		t.Fatalf("window = %d after a stale 429, want 2", g.size())
	}
	// Window w grows by one after w successes from the current epoch.
	for range 5 {
		e := mustAcquire(t, g)
		g.release()
		g.succeeded(e)
	}
	if g.size() != 4 {
		t.Fatalf("window = %d after 5 successes, want back at 4", g.size())
	}
	want := []windowChange{{4, 2}, {2, 3}, {3, 4}}
	if len(*changes) != len(want) {
		t.Fatalf("changes = %v, want %v (each adjustment reported once)", *changes, want)
	}
	for i := range want {
		if (*changes)[i] != want[i] {
			t.Fatalf("changes = %v, want %v", *changes, want)
		}
	}
}

func TestGateBlocksAtWindowAndHandsOverFIFO(t *testing.T) {
	g, _ := recordingGate(2)
	e := mustAcquire(t, g)
	mustAcquire(t, g)
	g.rateLimited(e) // window 1, two still in flight
	order := make(chan int, 2)
	for i := range 2 {
		go func() {
			if _, err := g.acquire(context.Background()); err == nil {
				order <- i
			}
		}()
		// Let waiter i queue before the next one.
		for deadline := time.Now().Add(time.Second); ; {
			g.mu.Lock()
			n := g.waiters.Len()
			g.mu.Unlock()
			if n == i+1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	g.release() // 1 in flight = window: nobody may start yet
	select {
	case i := <-order:
		t.Fatalf("waiter %d started with the window full", i)
	case <-time.After(20 * time.Millisecond):
	}
	g.release()
	if i := <-order; i != 0 {
		t.Fatalf("waiter %d started first, want 0 (FIFO)", i)
	}
	g.release()
	if i := <-order; i != 1 {
		t.Fatalf("waiter %d started, want 1", i)
	}
	g.release()
}

func TestGateAcquireCancelledHoldsNoSlot(t *testing.T) {
	g, _ := recordingGate(1)
	mustAcquire(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := g.acquire(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("acquire after cancel succeeded")
	}
	g.release()
	mustAcquire(t, g) // the slot is free again: the cancelled waiter took none
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight != 1 || g.waiters.Len() != 0 {
		t.Fatalf("inflight %d, waiters %d", g.inflight, g.waiters.Len())
	}
}
