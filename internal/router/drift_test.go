package router

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/policy"
)

// driftModel is a classifier-kind model holding only the vectorizer fitted
// on the recorded MMLU train split's queries, as Train fits it: drift reads
// nothing else, and this keeps the test fast under -race. Shared: do not
// mutate it.
func driftModel(tb testing.TB) *Model {
	tb.Helper()
	m, err := loadDriftModel()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

var loadDriftModel = sync.OnceValues(func() (*Model, error) {
	d, err := loadRecorded()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var qs []string
	for _, r := range d.sft {
		if !seen[r.Query] {
			seen[r.Query] = true
			qs = append(qs, r.Query)
		}
	}
	cfg := features.DefaultConfig()
	v, err := features.Fit(context.Background(), cfg, qs)
	if err != nil {
		return nil, err
	}
	return &Model{Meta: Meta{Kind: KindClassifier, Features: cfg}, vec: v}, nil
})

func readPrompts(tb testing.TB, name string) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// driftSlice is one side of the separation test: held-out MMLU test-split
// questions (every other one, from offset) against everyday prompts.
type driftSlice struct {
	in, out []float64
	// the content part alone, for the record
	inContent, outContent []float64
}

func scoreSlice(tb testing.TB, m *Model, offset int, everyday string) driftSlice {
	tb.Helper()
	var s driftSlice
	for i, r := range mustRecorded(tb).test {
		if i%2 == offset {
			x, _ := m.Drift(r.Prompt)
			c, _ := m.driftParts(m.vec.Novelty(r.Prompt))
			s.in, s.inContent = append(s.in, x), append(s.inContent, c)
		}
	}
	for _, q := range readPrompts(tb, everyday) {
		x, _ := m.Drift(q)
		c, _ := m.driftParts(m.vec.Novelty(q))
		s.out, s.outContent = append(s.out, x), append(s.outContent, c)
	}
	return s
}

// aucOf is P(out > in) + ½ P(out = in): the chance a random everyday
// prompt drifts more than a random held-out question.
func aucOf(in, out []float64) float64 {
	in = slices.Sorted(slices.Values(in))
	var sum float64
	for _, x := range out {
		lo, _ := slices.BinarySearch(in, x)
		hi := lo
		for hi < len(in) && in[hi] == x {
			hi++
		}
		sum += float64(lo) + float64(hi-lo)/2
	}
	return sum / float64(len(in)*len(out))
}

func overShare(x []float64) float64 {
	n := 0
	for _, v := range x {
		if OutOfDistribution(v) {
			n++
		}
	}
	return float64(n) / float64(len(x))
}

func describe(x []float64) string {
	s := slices.Sorted(slices.Values(x))
	var mean float64
	for _, v := range s {
		mean += v
	}
	return fmt.Sprintf("n %d mean %.3f median %.3f p90 %.3f over-threshold %.3f", len(s), mean/float64(len(s)), s[len(s)/2], s[len(s)*9/10], overShare(s))
}

// TestDriftSeparates: on the test slice (odd-indexed MMLU test questions
// and testdata/everyday_test.txt, neither used to choose the constants)
// drift separates the router's own kind of question from everyday
// prompts. The bounds leave margin under what was measured (AUC 1.000,
// 1.3% of MMLU and 100% of everyday prompts over the threshold).
func TestDriftSeparates(t *testing.T) {
	m := driftModel(t)
	for _, c := range []struct {
		name     string
		offset   int
		everyday string
	}{{"validation", 0, "everyday_validation.txt"}, {"test", 1, "everyday_test.txt"}} {
		if c.name != "test" && raceEnabled {
			continue // only logged: not worth the race detector's time
		}
		s := scoreSlice(t, m, c.offset, c.everyday)
		auc := aucOf(s.in, s.out)
		t.Logf("%s: MMLU %s", c.name, describe(s.in))
		t.Logf("%s: everyday %s", c.name, describe(s.out))
		t.Logf("%s: AUC %.4f (content part alone: AUC %.4f, MMLU %s; everyday %s)", c.name, auc,
			aucOf(s.inContent, s.outContent), describe(s.inContent), describe(s.outContent))
		if c.name != "test" {
			continue
		}
		if auc < 0.95 {
			t.Errorf("AUC %.4f < 0.95", auc)
		}
		if got := overShare(s.in); got > 0.10 {
			t.Errorf("%.3f of held-out MMLU questions flagged out of distribution, want <= 0.10", got)
		}
		if got := overShare(s.out); got < 0.90 {
			t.Errorf("%.3f of everyday prompts flagged out of distribution, want >= 0.90", got)
		}
	}
}

// TestDriftContentAlone checks the content part on its own: text in a
// script no training query used is out of distribution even when shaped
// like an MMLU question, and an MMLU question is not.
func TestDriftContentAlone(t *testing.T) {
	m := driftModel(t)
	q := mustRecorded(t).test[0].Prompt
	if x, _ := m.Drift(q); OutOfDistribution(x) {
		t.Errorf("held-out MMLU question drift %.3f, want < %v", x, DriftThreshold)
	}
	greek := "Ποια είναι η πρωτεύουσα της Ελλάδας σήμερα;\nA. Αθήνα\nB. Πάτρα\nC. Λάρισα\nD. Βόλος\nAnswer:"
	if x, _ := m.Drift(greek); !OutOfDistribution(x) {
		t.Errorf("Greek MMLU-shaped question drift %.3f, want >= %v", x, DriftThreshold)
	}
}

func TestDriftBoundsAndKinds(t *testing.T) {
	m := mustSmall(t)
	for _, q := range []string{"", " ", "?", "hi", strings.Repeat("word ", 5000), "\x00\xff\xfe", "A.\nB.\nC.\nD.\nAnswer:"} {
		x, ok := m.Drift(q)
		if !ok || !(x >= 0 && x <= 1) {
			t.Errorf("Drift(%.20q) = %v, %v; want a value in [0, 1]", q, x, ok)
		}
	}
	if x, _ := m.Drift(""); x != 1 {
		t.Errorf("empty query drift %v, want 1 (nothing the vectorizer can read)", x)
	}
	if _, ok := mustTrained(t, KindRandom).Drift("hello"); ok {
		t.Error("random router reports a drift")
	}
	if _, ok := mustTrained(t, KindKNN).Drift("hello"); !ok {
		t.Error("kNN router reports no drift")
	}
}

// TestRouteCarriesDrift: Route and DecideAt fill the decision's drift with
// the value Drift gives, and a decision's routing is unchanged by it.
func TestRouteCarriesDrift(t *testing.T) {
	m := mustSmall(t)
	for _, q := range []string{"hi, how are you?", fixtureQueries(t)[0]} {
		d, err := m.Route(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.Drift(q)
		if !d.HasDrift || d.Drift != want {
			t.Errorf("Route(%q) drift %v/%v, want %v/true", q, d.Drift, d.HasDrift, want)
		}
		at := m.DecideAt(q, m.Threshold())
		if at.Drift != want || at.Policy != d.Policy || at.Score != d.Score {
			t.Errorf("DecideAt(%q) = %+v, Route = %+v", q, at, d)
		}
		if !slices.Contains(policy.Labels, d.Policy) {
			t.Errorf("policy %q", d.Policy)
		}
	}
	knn := mustTrained(t, KindKNN)
	q := "hi, how are you?"
	d, err := knn.Route(context.Background(), q)
	if want, _ := knn.Drift(q); err != nil || !d.HasDrift || d.Drift != want {
		t.Errorf("kNN Route(%q) drift %v/%v (%v), want %v", q, d.Drift, d.HasDrift, err, want)
	}
	d, err = mustTrained(t, KindRandom).Route(context.Background(), "hi")
	if err != nil || d.HasDrift {
		t.Errorf("random Route = %+v, %v; want no drift", d, err)
	}
}

func TestDriftConcurrent(t *testing.T) {
	m := driftModel(t)
	qs := readPrompts(t, "everyday_test.txt")
	want := make([]float64, len(qs))
	for i, q := range qs {
		want[i], _ = m.Drift(q)
	}
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range qs {
				k := (i + g*7) % len(qs)
				if x, _ := m.Drift(qs[k]); x != want[k] {
					done <- fmt.Errorf("query %d: drift %v concurrently, %v alone", k, x, want[k])
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestDriftAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	m := driftModel(t)
	q := mustRecorded(t).test[0].Prompt
	m.Drift(q)
	if n := testing.AllocsPerRun(100, func() { m.Drift(q) }); n != 0 {
		t.Errorf("Drift allocates %v times per call, want 0", n)
	}
}

func FuzzDrift(f *testing.F) {
	for _, s := range []string{"", "hi, how are you?", "What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:", "日本語のテキスト", "\xff"} {
		f.Add(s)
	}
	m := mustSmall(f)
	f.Fuzz(func(t *testing.T, q string) {
		x, ok := m.Drift(q)
		if !ok || math.IsNaN(x) || x < 0 || x > 1 {
			t.Fatalf("Drift(%q) = %v, %v", q, x, ok)
		}
	})
}

var driftSink Decision

// BenchmarkDrift measures one Drift call on the sizes BenchmarkRoute uses,
// next to Route (which includes it) and Route's work without it (Predict
// and Decide), interleaved in one run so their ratios hold on a noisy
// machine.
func BenchmarkDrift(b *testing.B) {
	m := benchModel(b)
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000} {
		q := benchQuery(b, n)
		b.Run(fmt.Sprintf("words=%d/drift", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Drift(q)
			}
		})
		b.Run(fmt.Sprintf("words=%d/route", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Route(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("words=%d/route-without-drift", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// Escaping like Route's result, so the map is allocated
				// as Route allocates it.
				driftSink = Decide(m.Predict(q), m.Threshold())
			}
		})
	}
}
