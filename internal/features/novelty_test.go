package features

import (
	"math"
	"slices"
	"testing"
)

// TransformNovelty is Transform plus Novelty: the same vector bits and
// the same novelty bits as the two calls made apart.
func FuzzTransformNovelty(f *testing.F) {
	for _, s := range []string{"", "What is the capital of France?", "hi, how are you?", "日本語のテキスト", "A.\nB.\nC.\nD.\nAnswer:", "\xff\xfe"} {
		f.Add(s)
	}
	v := mustFit(f, DefaultConfig())
	f.Fuzz(func(t *testing.T, q string) {
		var plain, with Vector
		var n Novelty
		v.Transform(q, &plain)
		v.TransformNovelty(q, &with, &n)
		if !slices.Equal(plain.Idx, with.Idx) || !slices.Equal(plain.Val, with.Val) {
			t.Fatalf("TransformNovelty(%q) changed the vector", q)
		}
		if alone := v.Novelty(q); alone != n {
			t.Fatalf("TransformNovelty(%q) novelty %+v, Novelty %+v", q, n, alone)
		}
		if !(n.Rarity >= 0 && n.Rarity <= 1) || !(n.Excess >= 0) || math.IsInf(n.Excess, 0) || n.Grams < 0 {
			t.Fatalf("Novelty(%q) = %+v out of range", q, n)
		}
	})
}

func TestNoveltyReadsTraining(t *testing.T) {
	v := mustFit(t, DefaultConfig())
	ref := v.TrainingRarity()
	if !(ref > 0 && ref < 1) {
		t.Fatalf("TrainingRarity %v, want in (0, 1)", ref)
	}
	seen := v.Novelty(trainQueries[0])
	unseen := v.Novelty("zzqx vvkw pfft")
	if unseen.Rarity != 1 || !(seen.Rarity < unseen.Rarity) {
		t.Errorf("rarity of a training query %v, of unseen text %v: want < and exactly 1", seen.Rarity, unseen.Rarity)
	}
	if n := v.Novelty(""); n.Grams != 0 || n.Rarity != 0 {
		t.Errorf("empty query novelty %+v", n)
	}
	// A query far longer than any training query lies past the clip on
	// its length characteristics.
	long := v.Novelty(repeatWords("capital", 2000))
	if !(long.Excess > 0) || seen.Excess != 0 {
		t.Errorf("excess: long query %v, training query %v; want > 0 and 0", long.Excess, seen.Excess)
	}
	var wv Vector
	v.TransformNovelty(trainQueries[1], &wv, nil) // nil: plain Transform
	if len(wv.Idx) == 0 {
		t.Error("TransformNovelty with nil novelty produced no vector")
	}
}

func repeatWords(w string, n int) string {
	b := make([]byte, 0, n*(len(w)+1))
	for range n {
		b = append(append(b, w...), ' ')
	}
	return string(b)
}

func TestNoveltyAllocs(t *testing.T) {
	if raceOn {
		t.Skip("the race detector allocates")
	}
	v := mustFit(t, DefaultConfig())
	q := trainQueries[1]
	var out Vector
	var n Novelty
	v.TransformNovelty(q, &out, &n)
	v.Novelty(q)
	if a := testing.AllocsPerRun(100, func() { v.TransformNovelty(q, &out, &n); v.Novelty(q) }); a != 0 {
		t.Errorf("%v allocations per call, want 0", a)
	}
}
