package tokens

import (
	"sync"
	"testing"
)

func TestCount(t *testing.T) {
	if err := Ready(); err != nil {
		t.Fatalf("offline encoder did not load: %v", err)
	}
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"hello world", "hello world", 2},
		// Known cl100k_base counts, which differ from the (len+3)/4 fallback.
		{"sentence", "The quick brown fox jumps over the lazy dog.", 10},
		{"digits", "12345678", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Count(tc.text); got != tc.want {
				t.Errorf("Count(%q) = %d, want %d", tc.text, got, tc.want)
			}
		})
	}
}

func TestFallback(t *testing.T) {
	if got := Fallback("abcdefgh"); got != 2 {
		t.Errorf("Fallback = %d, want 2", got)
	}
	if got := Fallback("a"); got != 1 {
		t.Errorf("Fallback = %d, want 1", got)
	}
}

func TestCountConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if Count("concurrent counting is safe") == 0 {
					t.Error("zero count")
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkCount(b *testing.B) {
	text := "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"
	Count(text)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Count(text)
	}
}
