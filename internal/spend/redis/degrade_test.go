package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// outage is a miniredis that can be stopped and restarted on its address,
// with a Degrading counter in front of it.
type outage struct {
	t    *testing.T
	addr string
	mr   *miniredis.Miniredis
	c    *Counter
	d    *spend.Degrading
}

// outageBound is what these tests hold an outage decision to. The target
// is 100 ms, met with room to spare on a quiet machine (the tests log what
// they saw); the bound here only has to catch the old behaviour, a dial
// and retries per request costing seconds, without failing under the race
// detector on a busy CI machine. Speed is measured in the benchmarks.
const outageBound = time.Second

func newOutage(t *testing.T, policy spend.Policy, replicas int) *outage {
	t.Helper()
	mr := miniredis.RunT(t)
	c, err := Open(context.Background(), "redis://"+mr.Addr(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	d := spend.NewDegrading(c, c.Ping, policy, replicas, 10*time.Millisecond, nil)
	t.Cleanup(func() { d.Close() })
	return &outage{t: t, addr: mr.Addr(), mr: mr, c: c, d: d}
}

func (o *outage) stop() { o.mr.Close() }

func (o *outage) restart() {
	o.t.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(o.addr); err != nil {
		o.t.Skipf("cannot restart miniredis on %s: %v", o.addr, err)
	}
	o.t.Cleanup(m.Close)
	o.mr = m
	deadline := time.Now().Add(2 * time.Second)
	for o.d.Breaker().Open() {
		if time.Now().After(deadline) {
			o.t.Fatal("breaker still open 2s after Redis came back")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var bucket = []spend.Bucket{{Name: "k", Limit: 100}}

func TestDegradingLocalBoundsAndReconciles(t *testing.T) {
	o := newOutage(t, spend.PolicyLocal, 2)
	ctx := context.Background()
	o.stop()
	start := time.Now()
	n, err := o.d.Reserve(ctx, "a", bucket, 40, time.Minute)
	if err != nil || n != -1 {
		t.Fatalf("first reserve in outage: blocked %d err %v, want -1 nil", n, err)
	}
	if el := time.Since(start); el > outageBound {
		t.Fatalf("first reserve in outage took %v, want < %v", el, outageBound)
	}
	if err := o.d.Commit(ctx, "a", bucket, 40); err != nil {
		t.Fatal(err)
	}
	// This replica's share is 100/2 = 50: 40 spent, 20 more is over.
	start = time.Now()
	if n, err := o.d.Reserve(ctx, "b", bucket, 20, time.Minute); err != nil || n != 0 {
		t.Fatalf("reserve past the replica's share: blocked %d err %v, want 0 nil", n, err)
	}
	if el := time.Since(start); el > 10*time.Millisecond {
		t.Fatalf("reserve with the breaker open took %v: it should not touch Redis", el)
	}
	if o.d.Degraded() != 2 {
		t.Fatalf("degraded = %d, want 2", o.d.Degraded())
	}
	o.restart()
	spent, _, err := o.c.Usage(ctx, "k")
	if err != nil || spent != 40 {
		t.Fatalf("Redis after recovery: spent %d err %v, want 40 reconciled", spent, err)
	}
	if o.d.Reconciled() != 40 {
		t.Fatalf("reconciled = %d, want 40", o.d.Reconciled())
	}
	// Back on Redis: the whole limit applies again.
	if n, err := o.d.Reserve(ctx, "c", bucket, 60, time.Minute); err != nil || n != -1 {
		t.Fatalf("reserve after recovery: blocked %d err %v, want -1 nil", n, err)
	}
}

func TestDegradingReservedBeforeOutageCommitsAfter(t *testing.T) {
	o := newOutage(t, spend.PolicyLocal, 1)
	ctx := context.Background()
	if n, err := o.d.Reserve(ctx, "a", bucket, 30, time.Minute); err != nil || n != -1 {
		t.Fatalf("reserve: %d %v", n, err)
	}
	o.stop()
	if err := o.d.Commit(ctx, "a", bucket, 25); err != nil {
		t.Fatalf("commit during outage: %v", err)
	}
	o.restart()
	if spent, _, _ := o.c.Usage(ctx, "k"); spent != 25 {
		t.Fatalf("spent after recovery = %d, want 25", spent)
	}
}

func TestDegradingClosedRefusesFast(t *testing.T) {
	o := newOutage(t, spend.PolicyClosed, 1)
	ctx := context.Background()
	o.stop()
	for i := range 3 {
		start := time.Now()
		_, err := o.d.Reserve(ctx, "a", bucket, 1, time.Minute)
		if !errors.Is(err, spend.ErrStoreUnavailable) {
			t.Fatalf("reserve %d under closed: %v, want ErrStoreUnavailable", i, err)
		}
		if el := time.Since(start); el > outageBound {
			t.Fatalf("reserve %d took %v, want < %v", i, el, outageBound)
		}
	}
	o.restart()
	if n, err := o.d.Reserve(ctx, "a", bucket, 1, time.Minute); err != nil || n != -1 {
		t.Fatalf("reserve after recovery: %d %v", n, err)
	}
}
