package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWritesKeepWholeLines(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				fmt.Fprintf(&b, "writer %d line %d\n", w, i)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "writer ") {
			t.Fatalf("torn line %q", l)
		}
	}
}

func TestDiscardCountsLines(t *testing.T) {
	var b Buffer
	b.Write([]byte("kept\n"))
	b.Discard()
	n, err := b.Write([]byte("a\nb\n"))
	if n != 4 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	b.Write([]byte("c\n"))
	if b.String() != "kept\n" || b.Discarded() != 3 {
		t.Errorf("kept %q, discarded %d", b.String(), b.Discarded())
	}
}
