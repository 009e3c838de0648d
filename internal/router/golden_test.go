package router

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/golden"
)

// goldenConfigs are the trainings whose exact output is pinned: the small
// test configuration (3..4 character n-grams, 2^11 buckets) and the
// default features on the 400-row fixture.
func goldenConfigs(tb testing.TB) map[string]TrainConfig {
	tb.Helper()
	rows, err := fixtureRows()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]TrainConfig{}
	for _, kind := range []string{KindClassifier, KindKNN, KindRandom} {
		out["small "+kind] = smallConfig(kind)
		def := DefaultTrainConfig()
		def.Kind = kind
		def.SFT, def.DPO = rows.sft, rows.dpo
		out["default "+kind] = def
	}
	return out
}

// goldenQueries are the fixture queries, the recorded test prompts, long
// concatenations and non-ASCII text.
func goldenQueries(tb testing.TB) []string {
	qs := fixtureQueries(tb)
	for _, r := range mustRecorded(tb).test {
		qs = append(qs, r.Prompt)
	}
	qs = append(qs, strings.Join(qs[:60], "\n"), "", "?", "Über die Brücke: 日本語のテキスト, naïve café — 3×4=12?",
		"def f(x):\n    return x ** 2  # what is f(3)?", "\xff\xfe invalid UTF-8 \x80")
	return qs
}

// digestModel hashes the saved model files and every prediction on qs.
func digestModel(tb testing.TB, m *Model, qs []string) map[string]string {
	tb.Helper()
	dir := mustSave(tb, m)
	out := map[string]string{}
	for _, name := range []string{MetaFile, WeightsFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[name] = hex.EncodeToString(sum[:])
	}
	h := sha256.New()
	var buf []byte
	for _, q := range qs {
		p := m.Predict(q)
		buf = binary.LittleEndian.AppendUint64(buf[:0], math.Float64bits(p.Score))
		for _, x := range append(append(p.Policy[:0:0], p.Policy[:]...), p.Outcome[:]...) {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(p.TopicGain))
		h.Write(buf)
	}
	out["predictions"] = hex.EncodeToString(h.Sum(nil))
	return out
}

// TestGoldenDigests pins trained models and their predictions bit for bit
// to the values recorded in testdata/golden_digests.json, so speed work on
// features, training and prediction cannot change results unnoticed.
// After an intended change, regenerate with
// go test ./internal/router/ -run TestGoldenDigests -update
func TestGoldenDigests(t *testing.T) {
	if raceEnabled {
		t.Skip("six trainings are slow under -race; run without -race")
	}
	path := filepath.Join("testdata", "golden_digests.json")
	qs := goldenQueries(t)
	got := map[string]map[string]string{}
	for name, cfg := range goldenConfigs(t) {
		m, _, err := Train(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = digestModel(t, m, qs)
	}
	var want map[string]map[string]string
	golden.JSON(t, path, got, &want)
	for name, g := range got {
		for k, v := range g {
			if want[name][k] != v {
				t.Errorf("%s: %s digest %s, golden %s", name, k, v, want[name][k])
			}
		}
	}
}
