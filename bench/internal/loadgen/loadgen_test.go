package loadgen

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestOpenLoopSendsAtTheRateAndCountsErrors(t *testing.T) {
	var n atomic.Int64
	do := func(context.Context) error {
		if n.Add(1)%4 == 0 {
			return errors.New("every fourth fails")
		}
		return nil
	}
	res, err := OpenLoop(context.Background(), 1000, 100, time.Second, time.Second, do)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 100 || res.Errors != 25 || len(res.Latencies) != 75 {
		t.Fatalf("sent %d, errors %d, ok %d; want 100, 25, 75", res.Sent, res.Errors, len(res.Latencies))
	}
	// 100 sends at 1 ms intervals take at least 99 ms.
	if res.Elapsed < 99*time.Millisecond {
		t.Fatalf("elapsed %v: requests were not paced", res.Elapsed)
	}
	if res.ErrorRate() != 0.25 || res.FirstError == nil {
		t.Fatalf("error rate %v, first error %v", res.ErrorRate(), res.FirstError)
	}
}

func TestOpenLoopStopsAtTheTimeLimit(t *testing.T) {
	res, err := OpenLoop(context.Background(), 100, 1000, 50*time.Millisecond, time.Second, func(context.Context) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent > 7 {
		t.Fatalf("sent %d requests in a 50 ms window at 100/s", res.Sent)
	}
}

func TestOpenLoopMeasuresFromTheSchedule(t *testing.T) {
	// A server that stalls every request 20 ms while the generator keeps
	// its schedule: every latency must include the stall.
	res, err := OpenLoop(context.Background(), 200, 10, time.Second, time.Second, func(context.Context) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.Latencies {
		if l < 20*time.Millisecond {
			t.Fatalf("latency %v below the 20 ms stall", l)
		}
	}
}

func TestClosedLoopBoundsCountAndTimesOut(t *testing.T) {
	res, err := ClosedLoop(context.Background(), 4, 50, time.Second, 10*time.Millisecond, func(ctx context.Context) error {
		<-ctx.Done() // a hung server: each request hits the timeout
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 50 || res.Errors != 50 || res.Throughput() != 0 {
		t.Fatalf("sent %d errors %d throughput %v", res.Sent, res.Errors, res.Throughput())
	}
}

func TestBadArguments(t *testing.T) {
	nop := func(context.Context) error { return nil }
	if _, err := OpenLoop(context.Background(), 0, 1, time.Second, time.Second, nop); err == nil {
		t.Fatal("rate 0 must be refused")
	}
	if _, err := ClosedLoop(context.Background(), 0, 1, time.Second, time.Second, nop); err == nil {
		t.Fatal("0 workers must be refused")
	}
}
