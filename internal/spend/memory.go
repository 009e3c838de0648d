package spend

import (
	"context"
	"sync"
	"time"
)

// MemoryCounter is the in-process Counter for a single replica. One mutex
// makes reserve/commit atomic across buckets; the critical sections are a
// few map operations, far cheaper than the upstream call they guard.
type MemoryCounter struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
	now     func() time.Time
	ops     int
}

type memBucket struct {
	spent, reserved int64
	res             map[string]memRes
	expires         time.Time // zero: never
}

type memRes struct {
	amount  int64
	expires time.Time
}

// NewMemoryCounter returns an empty in-process counter.
func NewMemoryCounter() *MemoryCounter {
	return &MemoryCounter{buckets: map[string]*memBucket{}, now: time.Now}
}

func (m *MemoryCounter) bucket(b Bucket, now time.Time) *memBucket {
	mb, ok := m.buckets[b.Name]
	if !ok {
		mb = &memBucket{res: map[string]memRes{}}
		m.buckets[b.Name] = mb
	}
	if b.TTL > 0 {
		mb.expires = now.Add(b.TTL)
	}
	return mb
}

// purge drops reservations whose holder never finished them.
func (mb *memBucket) purge(now time.Time) {
	for id, r := range mb.res {
		if now.After(r.expires) {
			mb.reserved -= r.amount
			delete(mb.res, id)
		}
	}
}

// Reserve implements Counter.
func (m *MemoryCounter) Reserve(_ context.Context, id string, buckets []Bucket, amount int64, ttl time.Duration) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.gc(now)
	mbs := make([]*memBucket, len(buckets))
	for i, b := range buckets {
		mb := m.bucket(b, now)
		mb.purge(now)
		if b.Limit > 0 && mb.spent+mb.reserved+amount > b.Limit {
			return i, nil
		}
		mbs[i] = mb
	}
	for _, mb := range mbs {
		mb.reserved += amount
		mb.res[id] = memRes{amount: amount, expires: now.Add(ttl)}
	}
	return -1, nil
}

// Commit implements Counter.
func (m *MemoryCounter) Commit(_ context.Context, id string, buckets []Bucket, actual int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, b := range buckets {
		mb := m.bucket(b, now)
		mb.drop(id)
		mb.spent += actual
	}
	return nil
}

// Release implements Counter.
func (m *MemoryCounter) Release(_ context.Context, id string, buckets []Bucket) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range buckets {
		if mb, ok := m.buckets[b.Name]; ok {
			mb.drop(id)
		}
	}
	return nil
}

func (mb *memBucket) drop(id string) {
	if r, ok := mb.res[id]; ok {
		mb.reserved -= r.amount
		delete(mb.res, id)
	}
}

// Usage implements Counter.
func (m *MemoryCounter) Usage(_ context.Context, name string) (int64, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.buckets[name]
	if !ok {
		return 0, 0, nil
	}
	mb.purge(m.now())
	return mb.spent, mb.reserved, nil
}

// Seed implements Counter.
func (m *MemoryCounter) Seed(_ context.Context, b Bucket, spent int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.buckets[b.Name]; ok {
		return nil
	}
	m.bucket(b, m.now()).spent = spent
	return nil
}

// gc forgets finished periods' buckets now and then, so a daily budget
// does not grow the map forever.
func (m *MemoryCounter) gc(now time.Time) {
	m.ops++
	if m.ops%1024 != 0 {
		return
	}
	for name, mb := range m.buckets {
		if !mb.expires.IsZero() && now.After(mb.expires) && len(mb.res) == 0 {
			delete(m.buckets, name)
		}
	}
}

var _ Counter = (*MemoryCounter)(nil)
