package breaker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestBreakerOpensAndRecovers(t *testing.T) {
	var up atomic.Bool
	changes := make(chan bool, 4)
	b := New(func(context.Context) error {
		if up.Load() {
			return nil
		}
		return errors.New("down")
	}, 5*time.Millisecond, func(open bool) { changes <- open })
	defer b.Close()
	if !b.Allow() {
		t.Fatal("new breaker is open")
	}
	b.Fail()
	b.Fail() // a second failure while open is no new trip
	if b.Allow() || b.Trips() != 1 {
		t.Fatalf("after Fail: allow %v trips %d, want false 1", b.Allow(), b.Trips())
	}
	if got := <-changes; !got {
		t.Fatal("first transition was not to open")
	}
	time.Sleep(20 * time.Millisecond)
	if b.Allow() {
		t.Fatal("breaker closed while the probe fails")
	}
	up.Store(true)
	select {
	case got := <-changes:
		if got {
			t.Fatal("second transition was not to closed")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("breaker did not close after the dependency came back")
	}
	if !b.Allow() {
		t.Fatal("breaker not allowing after recovery")
	}
}

func TestBreakerCloseStopsProbe(t *testing.T) {
	b := New(func(context.Context) error { return errors.New("down") }, time.Millisecond, nil)
	b.Fail()
	b.Close()
	b.Close()
	if b.Allow() {
		t.Fatal("closing the probe changed the state")
	}
}
