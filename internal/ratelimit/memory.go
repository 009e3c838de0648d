package ratelimit

import (
	"context"
	"sync"
)

// Memory is the in-process Store for a single replica.
type Memory struct {
	mu     sync.Mutex
	m      map[string]*memScope
	lastGC int64
}

// memScope is one scope's counters in window win (current) and win-1.
type memScope struct {
	win         int64
	prevR, curR int64
	prevT, curT int64
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{m: map[string]*memScope{}} }

// at returns name's counters rotated to window win.
func (m *Memory) at(name string, win int64) *memScope {
	s := m.m[name]
	if s == nil {
		s = &memScope{win: win}
		m.m[name] = s
	}
	switch {
	case s.win == win:
	case s.win == win-1:
		s.prevR, s.curR, s.prevT, s.curT, s.win = s.curR, 0, s.curT, 0, win
	case s.win < win:
		*s = memScope{win: win}
	}
	return s
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, scopes []Scope, win int64, frac float64, tokens int64) (int, []Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gc(win)
	blocked := -1
	ss := make([]*memScope, len(scopes))
	for i, sc := range scopes {
		s := m.at(sc.Name, win)
		ss[i] = s
		if blocked < 0 && over(sc.Limit, s.prevR, s.curR, s.prevT, s.curT, frac, tokens) {
			blocked = i
		}
	}
	counts := make([]Counts, len(scopes))
	for i, s := range ss {
		if blocked < 0 {
			s.curR++
			s.curT += tokens
		}
		counts[i] = Counts{PrevRequests: s.prevR, CurRequests: s.curR, PrevTokens: s.prevT, CurTokens: s.curT}
	}
	return blocked, counts, nil
}

// over reports whether one more request of tokens would pass l.
func over(l Limit, prevR, curR, prevT, curT int64, frac float64, tokens int64) bool {
	if l.RequestsPerMinute > 0 && estimate(prevR, curR, frac)+1 > float64(l.RequestsPerMinute) {
		return true
	}
	return l.TokensPerMinute > 0 && estimate(prevT, curT, frac)+float64(tokens) > float64(l.TokensPerMinute)
}

// Adjust implements Store.
func (m *Memory) Adjust(_ context.Context, scopes []Scope, win int64, delta int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, sc := range scopes {
		s := m.m[sc.Name]
		switch {
		case s == nil:
		case s.win == win:
			s.curT += delta
		case s.win == win+1:
			s.prevT += delta
		}
	}
	return nil
}

// gc forgets scopes idle for two windows, so keys that come and go do
// not grow the map forever; it runs at most once per window.
func (m *Memory) gc(win int64) {
	if win == m.lastGC || len(m.m) < 1024 {
		return
	}
	m.lastGC = win
	for name, s := range m.m {
		if s.win < win-1 {
			delete(m.m, name)
		}
	}
}

var _ Store = (*Memory)(nil)
