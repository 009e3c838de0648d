package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// TestSeedWhileDownRestoresOnRecovery: a gateway that starts during an
// outage restores its budget totals locally (its replica share) and writes
// them to Redis when it returns, before the spend counted meanwhile, which
// it adds on top.
func TestSeedWhileDownRestoresOnRecovery(t *testing.T) {
	o := newOutage(t, spend.PolicyLocal, 2)
	ctx := context.Background()
	o.stop()
	b := spend.Bucket{Name: "k", Limit: 100, TTL: time.Hour}
	if err := o.d.Seed(ctx, b, 60); err != nil {
		t.Fatalf("seed while Redis is down: %v, want nil (the gateway must start)", err)
	}
	// Local share: limit 100/2 = 50, of which 60/2 = 30 already spent.
	if n, err := o.d.Reserve(ctx, "a", []spend.Bucket{b}, 25, time.Minute); err != nil || n != 0 {
		t.Fatalf("reserve 25 over a seeded local share of 30/50: blocked %d err %v, want bucket 0 blocked", n, err)
	}
	if n, err := o.d.Reserve(ctx, "b", []spend.Bucket{b}, 15, time.Minute); err != nil || n != -1 {
		t.Fatalf("reserve 15: blocked %d err %v, want admitted", n, err)
	}
	if err := o.d.Commit(ctx, "b", []spend.Bucket{b}, 10); err != nil {
		t.Fatal(err)
	}
	o.restart()
	spent, _, err := o.c.Usage(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if spent != 70 {
		t.Fatalf("Redis holds %d after recovery, want the restored 60 plus the 10 spent in the outage", spent)
	}
}

func TestDialDoesNotConnect(t *testing.T) {
	c, err := Dial("redis://127.0.0.1:1/0", "")
	if err != nil {
		t.Fatalf("Dial of an unreachable Redis: %v, want a client that fails on use", err)
	}
	defer c.Close()
	if c.Addr() != "127.0.0.1:1" {
		t.Errorf("Addr %q", c.Addr())
	}
	if err := c.Ping(context.Background()); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	if _, err := Dial("redis://:secret@[bad", ""); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("bad URL: %v, want an error without the password", err)
	}
}
