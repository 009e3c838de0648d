package features

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

var trainQueries = []string{
	"What is the capital of France?",
	"Solve for x: 3x + 5 = 20.\nA. 3\nB. 5\nC. 7\nD. 15\nAnswer:",
	"Which of the following best describes the Krebs cycle?",
	"Explain the difference between TCP and UDP in networking.",
	"def f(x): return x * 2  # what does f(3) return?",
	"Who wrote Pride and Prejudice?",
	"Über die Brücke gehen: was bedeutet das?",
}

func mustFit(tb testing.TB, cfg Config) *Vectorizer {
	tb.Helper()
	v, err := Fit(context.Background(), cfg, trainQueries)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func norm(v *Vector, lo, hi uint32) float64 {
	var s float64
	for i, b := range v.Idx {
		if b >= lo && b < hi {
			s += float64(v.Val[i]) * float64(v.Val[i])
		}
	}
	return math.Sqrt(s)
}

func TestTransformBlocksAreUnitNorm(t *testing.T) {
	cfg := DefaultConfig()
	v := mustFit(t, cfg)
	half := uint32(1) << (cfg.HashBits - 1)
	for _, q := range trainQueries {
		var out Vector
		v.Transform(q, &out)
		if n := norm(&out, 0, half); math.Abs(n-1) > 1e-5 {
			t.Errorf("%q: word block norm %v, want 1", q, n)
		}
		if n := norm(&out, half, 2*half); math.Abs(n-1) > 1e-5 {
			t.Errorf("%q: char block norm %v, want 1", q, n)
		}
		seen := map[uint32]bool{}
		for _, b := range out.Idx {
			if seen[b] {
				t.Fatalf("%q: duplicate index %d", q, b)
			}
			seen[b] = true
			if int(b) >= cfg.Dim() {
				t.Fatalf("%q: index %d out of range %d", q, b, cfg.Dim())
			}
		}
	}
}

func TestTransformDeterministicAndCaseInsensitive(t *testing.T) {
	v := mustFit(t, DefaultConfig())
	var a, b Vector
	v.Transform("What is the capital of France?", &a)
	v.Transform("WHAT IS THE CAPITAL OF FRANCE?", &b)
	// Dense features (upper ratio, capitalisation) differ by design; the
	// n-gram part must be identical.
	half := uint32(1) << (DefaultConfig().HashBits)
	for i := range a.Idx {
		if a.Idx[i] >= half {
			break
		}
		if a.Idx[i] != b.Idx[i] || a.Val[i] != b.Val[i] {
			t.Fatalf("entry %d differs: %d:%v vs %d:%v", i, a.Idx[i], a.Val[i], b.Idx[i], b.Val[i])
		}
	}
}

func TestUnseenTextHasOnlyDense(t *testing.T) {
	v := mustFit(t, DefaultConfig())
	var out Vector
	v.Transform("zzqx qqvz", &out)
	if len(out.Idx) != NumDense {
		t.Fatalf("got %d entries, want only the %d dense ones", len(out.Idx), NumDense)
	}
	v.Transform("", &out)
	if len(out.Idx) != NumDense {
		t.Fatalf("empty query: got %d entries, want %d", len(out.Idx), NumDense)
	}
}

func TestTruncation(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 10, "abc"},
		{"exact", "abcd", 4, "abcd"},
		{"ascii", "abcdef", 4, "abcd"},
		{"rune boundary", "ab€cd", 4, "ab"}, // € is 3 bytes
		{"zero", "abc", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Truncate(tc.in, tc.max); got != tc.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestHugeQueryIsTruncated(t *testing.T) {
	v := mustFit(t, DefaultConfig())
	head := strings.Repeat("capital of France ", DefaultMaxQueryBytes/18+1)
	huge := head + strings.Repeat("Krebs cycle networking ", (1<<20)/23)
	var a, b Vector
	v.Transform(huge, &a)
	v.Transform(head[:DefaultMaxQueryBytes], &b)
	if len(a.Idx) != len(b.Idx) {
		t.Fatalf("1 MB query: %d features, its 8 KiB head %d", len(a.Idx), len(b.Idx))
	}
	for i := range a.Idx {
		if a.Idx[i] != b.Idx[i] || a.Val[i] != b.Val[i] {
			t.Fatalf("1 MB query differs from its truncated head at %d", i)
		}
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HashBits = 12
	v := mustFit(t, cfg)
	data, err := v.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := DecodeVectorizer(cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(trainQueries, "never seen before") {
		var a, b Vector
		v.Transform(q, &a)
		w.Transform(q, &b)
		for i := range a.Idx {
			if a.Idx[i] != b.Idx[i] || a.Val[i] != b.Val[i] {
				t.Fatalf("%q: decoded vectorizer differs at %d", q, i)
			}
		}
	}
	if _, err := DecodeVectorizer(cfg, data[:len(data)-1]); err == nil {
		t.Error("truncated state accepted")
	}
	bad := append([]byte(nil), data...)
	bad[0] = 'X'
	if _, err := DecodeVectorizer(cfg, bad); err == nil {
		t.Error("bad magic accepted")
	}
	old := cfg
	old.Version = FeatureVersion - 1
	if _, err := DecodeVectorizer(old, data); !errors.Is(err, ErrVersion) {
		t.Errorf("old feature version: err = %v, want ErrVersion", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"default", func(*Config) {}, ""},
		{"version", func(c *Config) { c.Version = 0 }, "feature version"},
		{"bits", func(c *Config) { c.HashBits = 30 }, "hash_bits"},
		{"word", func(c *Config) { c.WordNgramMin = 0 }, "word n-gram"},
		{"char", func(c *Config) { c.CharNgramMin, c.CharNgramMax = 5, 3 }, "char n-gram"},
		{"char off", func(c *Config) { c.CharNgramMin, c.CharNgramMax = 0, 0 }, ""},
		{"max bytes", func(c *Config) { c.MaxQueryBytes = 1 << 30 }, "max_query_bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := Fit(context.Background(), DefaultConfig(), nil); err == nil {
		t.Error("no queries accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Fit(ctx, DefaultConfig(), trainQueries); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fit: err = %v", err)
	}
}

func TestDenseCharacteristics(t *testing.T) {
	sc := newScratch(10)
	sc.tokenize("Solve 2+2?\nA. 3\nB. 4")
	if got := sc.dense[6]; math.Abs(got-math.Log1p(2)) > 1e-12 {
		t.Errorf("choice lines feature = %v, want log1p(2)", got)
	}
	if got := sc.dense[4]; math.Abs(got-math.Log1p(1)) > 1e-12 {
		t.Errorf("question marks feature = %v, want log1p(1)", got)
	}
	if sc.dense[7] == 0 {
		t.Error("math symbol ratio is zero for '2+2'")
	}
}

func FuzzTransform(f *testing.F) {
	for _, q := range trainQueries {
		f.Add(q)
	}
	f.Add("\xff\xfe invalid utf8 \x00")
	f.Add(strings.Repeat("é", 5000))
	cfg := DefaultConfig()
	cfg.HashBits = 12
	v, err := Fit(context.Background(), cfg, trainQueries)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		var out Vector
		v.Transform(q, &out)
		if len(out.Idx) != len(out.Val) {
			t.Fatal("index/value length mismatch")
		}
		for i, b := range out.Idx {
			x := float64(out.Val[i])
			if int(b) >= cfg.Dim() || math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("bad entry %d: %v", b, x)
			}
		}
	})
}

func benchQuery(words int) string {
	base := strings.Fields("Which of the following statements about the Krebs cycle in eukaryotic cells is correct given that oxygen is present and the mitochondria are functional A B C D answer")
	var sb strings.Builder
	for i := range words {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(base[i%len(base)])
	}
	return sb.String()
}

func BenchmarkTransform(b *testing.B) {
	v := mustFit(b, DefaultConfig())
	for _, n := range []int{10, 100, 1000} {
		q := benchQuery(n)
		b.Run(strings.Repeat("w", 0)+itoa(n)+"words", func(b *testing.B) {
			var out Vector
			b.ReportAllocs()
			for b.Loop() {
				v.Transform(q, &out)
			}
		})
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

// BenchmarkTransformMixed rotates 64 distinct real-text queries per size,
// so bucket lookups miss the cache as across real requests instead of
// repeating one query's buckets.
func BenchmarkTransformMixed(b *testing.B) {
	corpus := analyzeCorpus(b)
	v := mustFit(b, DefaultConfig())
	words := strings.Fields(strings.Join(corpus, " "))
	for _, n := range []int{10, 100, 1000} {
		qs := make([]string, 64)
		for i := range qs {
			s := (i * n) % (len(words) - n)
			qs[i] = strings.Join(words[s:s+n], " ")
		}
		b.Run(itoa(n)+"words", func(b *testing.B) {
			var out Vector
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.Transform(qs[i%len(qs)], &out)
				i++
			}
		})
	}
}
