package router

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// smallConfig trains on the first 200 fixture rows with a small hash
// space, so tests stay fast even under -race.
func smallConfig(kind string) TrainConfig {
	cfg := DefaultTrainConfig()
	cfg.Kind = kind
	cfg.SFTPath, cfg.DPOPath = fixtureSFT, fixtureDPO
	cfg.Features.HashBits = 11
	cfg.Features.CharNgramMax = 4
	cfg.Hyper.ValidationFraction = 0.2
	if rows, err := fixtureRows(); err == nil {
		cfg.SFT, cfg.DPO = rows.sft[:200], rows.dpo
	}
	return cfg
}

var fixtureRows = sync.OnceValues(func() (*recordedSplit, error) {
	sft, err := jsonl.Read[trl.SFTRow](fixtureSFT)
	if err != nil {
		return nil, err
	}
	dpo, err := jsonl.Read[trl.DPORow](fixtureDPO)
	return &recordedSplit{sft: sft, dpo: dpo}, err
})

var trainedSmall = map[string]func() (*Model, error){}

func init() {
	for _, kind := range []string{KindClassifier, KindKNN, KindRandom} {
		trainedSmall[kind] = sync.OnceValues(func() (*Model, error) {
			m, _, err := Train(context.Background(), smallConfig(kind))
			return m, err
		})
	}
}

// mustTrained returns the shared trained model of a kind: do not mutate it
// (load a saved copy instead).
func mustTrained(tb testing.TB, kind string) *Model {
	tb.Helper()
	m, err := trainedSmall[kind]()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func mustSmall(tb testing.TB) *Model { return mustTrained(tb, KindClassifier) }

func mustSave(tb testing.TB, m *Model) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "model")
	if err := Save(dir, m); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func fixtureQueries(tb testing.TB) []string {
	tb.Helper()
	qs, err := ReadQueries(fixtureSFT)
	if err != nil {
		tb.Fatal(err)
	}
	return qs
}

func TestTrainDeterministicBytes(t *testing.T) {
	for _, kind := range []string{KindClassifier, KindKNN, KindRandom} {
		t.Run(kind, func(t *testing.T) {
			var files [2][2][]byte
			for i := range 2 {
				m, _, err := Train(context.Background(), smallConfig(kind))
				if err != nil {
					t.Fatal(err)
				}
				dir := mustSave(t, m)
				for j, name := range []string{MetaFile, WeightsFile} {
					b, err := os.ReadFile(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					files[i][j] = b
				}
			}
			for j, name := range []string{MetaFile, WeightsFile} {
				if !bytes.Equal(files[0][j], files[1][j]) {
					t.Errorf("%s differs between two runs with the same seed", name)
				}
			}
		})
	}
}

func TestSeedChangesModel(t *testing.T) {
	a := mustSmall(t)
	cfg := smallConfig(KindClassifier)
	cfg.Seed = 7
	b, _, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := "Which enzyme catalyses the first step of glycolysis?"
	if a.Predict(q) == b.Predict(q) {
		t.Error("different seeds gave identical predictions")
	}
}

func TestLoadedModelScoresExactly(t *testing.T) {
	for _, kind := range []string{KindClassifier, KindKNN, KindRandom} {
		t.Run(kind, func(t *testing.T) {
			m := mustTrained(t, kind)
			loaded, err := Load(mustSave(t, m))
			if err != nil {
				t.Fatal(err)
			}
			qs := append(fixtureQueries(t), "an unseen query about quasars", "", strings.Repeat("long ", 5000))
			for _, q := range qs {
				if a, b := m.Predict(q), loaded.Predict(q); a != b {
					t.Fatalf("%.40q: trained %+v, loaded %+v", q, a, b)
				}
			}
			if loaded.Meta.Threshold != m.Meta.Threshold || loaded.Meta.ScoreKind != m.Meta.ScoreKind {
				t.Error("metadata changed in the round trip")
			}
		})
	}
}

func TestPredictionInvariants(t *testing.T) {
	m := mustSmall(t)
	for _, q := range fixtureQueries(t)[:50] {
		p := m.Predict(q)
		var sp, so float64
		for _, x := range p.Policy {
			sp += x
		}
		for _, x := range p.Outcome {
			so += x
		}
		if math.Abs(sp-1) > 1e-9 || math.Abs(so-1) > 1e-9 || p.Score < 0 || p.Score > 1 {
			t.Fatalf("%.40q: bad prediction %+v", q, p)
		}
	}
}

func TestPolicyFor(t *testing.T) {
	tests := []struct {
		name      string
		p         Prediction
		threshold float64
		want      string
	}{
		{"above threshold", Prediction{Score: 0.6, Policy: [3]float64{0.8, 0.1, 0.1}}, 0.5, policy.Complex},
		{"at threshold", Prediction{Score: 0.5, Policy: [3]float64{0.8, 0.1, 0.1}}, 0.5, policy.Complex},
		{"below, standard likelier", Prediction{Score: 0.4, Policy: [3]float64{0.5, 0.4, 0.1}}, 0.5, policy.Standard},
		{"below, ambiguous likelier", Prediction{Score: 0.4, Policy: [3]float64{0.2, 0.4, 0.4001}}, 0.5, policy.Ambiguous},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PolicyFor(tc.p, tc.threshold); got != tc.want {
				t.Fatalf("PolicyFor = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRouteAndModelMap(t *testing.T) {
	m := mustSmall(t)
	d, err := m.Route(context.Background(), "What is 2+2?")
	if err != nil {
		t.Fatal(err)
	}
	if !policy.Valid(d.Policy) || len(d.Probs) != 3 {
		t.Fatalf("bad decision %+v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Route(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Route: err = %v", err)
	}
	if got := m.ModelFor(policy.Complex); got != DefaultStrongModel {
		t.Errorf("Complex → %s", got)
	}
	if got := m.ModelFor(policy.Ambiguous); got != DefaultCheapModel {
		t.Errorf("Ambiguous → %s", got)
	}
}

func TestLoadErrors(t *testing.T) {
	m := mustSmall(t)
	tests := []struct {
		name    string
		corrupt func(t *testing.T, dir string)
		want    string
	}{
		{"missing dir", func(t *testing.T, dir string) { os.RemoveAll(dir) }, "does not exist"},
		{"missing weights", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, WeightsFile)) }, "weights.bin"},
		{"truncated weights", func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, WeightsFile), 100) }, "truncated"},
		{"flipped byte", func(t *testing.T, dir string) { flip(t, filepath.Join(dir, WeightsFile), 5000) }, "sha256 mismatch"},
		{"bad json", func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, MetaFile), 10) }, "invalid model metadata"},
		{"old feature version", func(t *testing.T, dir string) {
			editMeta(t, dir, `"version": 1,`, `"version": 0,`)
		}, "feature version 0"},
		{"old format", func(t *testing.T, dir string) {
			editMeta(t, dir, `"format_version": 1,`, `"format_version": 99,`)
		}, "format version 99"},
		{"threshold out of range", func(t *testing.T, dir string) {
			editMeta(t, dir, `"threshold": 0.`, `"threshold": 7.`)
		}, "outside [0, 1]"},
		{"unknown field", func(t *testing.T, dir string) {
			editMeta(t, dir, `"seed": `, `"sede": 1, "seed": `)
		}, "invalid model metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := mustSave(t, m)
			tc.corrupt(t, dir)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
		})
	}
	if _, err := Load(fixtureSFT); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as model dir: %v", err)
	}
}

func TestOldFeatureVersionIsErrVersion(t *testing.T) {
	dir := mustSave(t, mustSmall(t))
	editMeta(t, dir, `"version": 1,`, `"version": 0,`)
	if _, err := Load(dir); !errors.Is(err, features.ErrVersion) {
		t.Fatalf("err = %v, want features.ErrVersion", err)
	}
}

func TestCorruptWeightsWithValidChecksumInMeta(t *testing.T) {
	// A weights file rewritten consistently with model.json but internally
	// damaged must still be rejected by the CRC and bounds checks, not panic.
	m := mustSmall(t)
	w, err := m.encodeWeights()
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 3, 16, len(w) / 2, len(w) - 1} {
		mm := &Model{Meta: m.Meta}
		if err := mm.decodeWeights(w[:cut]); err == nil {
			t.Errorf("decode of %d/%d bytes succeeded", cut, len(w))
		}
	}
}

func TestSaveReplacesAtomically(t *testing.T) {
	m := mustSmall(t)
	dir := mustSave(t, m)
	if err := Save(dir, mustTrained(t, KindRandom)); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta.Kind != KindRandom {
		t.Fatalf("kind %s after replacing, want random", got.Meta.Kind)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if e.Name() != "model" {
			t.Errorf("leftover %s after save", e.Name())
		}
	}
}

func TestCalibrate(t *testing.T) {
	m, err := Load(mustSave(t, mustSmall(t)))
	if err != nil {
		t.Fatal(err)
	}
	qs := fixtureQueries(t)
	for _, share := range []float64{0, 0.1, 0.3, 0.5, 1} {
		th, err := Calibrate(m, share, qs, "fixture")
		if err != nil {
			t.Fatal(err)
		}
		strong := 0
		for _, q := range qs {
			if m.Predict(q).Score >= th {
				strong++
			}
		}
		got := float64(strong) / float64(len(qs))
		if math.Abs(got-share) > 0.01 && !(share == 0 && strong <= 1) {
			t.Errorf("share %v: threshold %v sends %v", share, th, got)
		}
	}
	if _, err := Calibrate(m, 1.5, nil, ""); err == nil {
		t.Error("share 1.5 accepted")
	}
	th, err := Calibrate(m, 0.3, nil, "")
	if err != nil || m.Meta.ThresholdSource != "calibrate: held-out validation scores" {
		t.Fatalf("calibrate from stored quantiles: %v, %v", th, err)
	}
	dir := mustSave(t, m)
	if _, err := Calibrate(m, 0.2, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := SaveMeta(dir, m); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Threshold() != m.Threshold() || loaded.Meta.ThresholdStrongShare != 0.2 {
		t.Errorf("calibrated threshold not persisted: %v vs %v", loaded.Threshold(), m.Threshold())
	}
}

func TestTrainConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*TrainConfig)
		want string
	}{
		{"kind", func(c *TrainConfig) { c.Kind = "svm" }, "router kind"},
		{"epochs", func(c *TrainConfig) { c.Hyper.SFTEpochs = 0 }, "sft epochs"},
		{"beta", func(c *TrainConfig) { c.Hyper.DPOBeta = 0 }, "dpo beta"},
		{"score", func(c *TrainConfig) { c.ScoreKind = "magic" }, "unknown score kind"},
		{"missing file", func(c *TrainConfig) { c.SFT, c.SFTPath = nil, "nope.jsonl" }, "nope.jsonl"},
		{"bad policy", func(c *TrainConfig) { c.SFT, c.SFTPath = nil, filepath.Join("testdata", "bad_policy.jsonl") }, "bad_policy.jsonl: row 2: unknown policy"},
		{"bad cell", func(c *TrainConfig) { c.SFT, c.SFTPath = nil, filepath.Join("testdata", "bad_cell.jsonl") }, "bad_cell.jsonl: row 1: invalid cell"},
		{"bad dpo", func(c *TrainConfig) { c.DPO, c.DPOPath = nil, filepath.Join("testdata", "bad_policy.jsonl") }, "row 1: chosen"},
		{"empty", func(c *TrainConfig) { c.SFT, c.SFTPath = nil, filepath.Join("testdata", "empty.jsonl") }, "no SFT rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig(KindClassifier)
			tc.mod(&cfg)
			_, _, err := Train(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Train error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Train(ctx, smallConfig(KindClassifier)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestMetricsRecorded(t *testing.T) {
	m := mustSmall(t)
	mt := m.Meta.Metrics
	if mt.SFTExamples != 200 || mt.DPOPairs == 0 || len(mt.SFTEpochLoss) != 3 || len(mt.DPOEpochLoss) != 1 {
		t.Fatalf("metrics %+v", mt)
	}
	if mt.ScoreSelection != "validation" || len(mt.ValidationAPGR) != len(ScoreKinds) || len(mt.ValidationAPGRSFT) != len(ScoreKinds) {
		t.Fatalf("validation metrics %+v", mt)
	}
	for _, k := range ScoreKinds {
		if mt.ValidationAPGR[k] > mt.ValidationAPGR[m.Meta.ScoreKind] {
			t.Errorf("chose %s but %s validated better", m.Meta.ScoreKind, k)
		}
	}
	if mt.SFTEpochLoss[2] >= mt.SFTEpochLoss[0] {
		t.Errorf("SFT loss did not fall: %v", mt.SFTEpochLoss)
	}
	if len(m.Meta.ScoreQuantiles) != numQuantiles {
		t.Errorf("%d score quantiles stored", len(m.Meta.ScoreQuantiles))
	}
}

func truncate(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:min(n, len(b))], 0o644); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at%len(b)] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func editMeta(t *testing.T, dir, old, new string) {
	t.Helper()
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("model.json has no %q", old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTrainFromFilesRecordsHashes(t *testing.T) {
	cfg := smallConfig(KindRandom)
	cfg.SFT, cfg.DPO = nil, nil
	m, _, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for path, got := range map[string]string{fixtureSFT: m.Meta.Data.SFTSHA256, fixtureDPO: m.Meta.Data.DPOSHA256} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != got {
			t.Errorf("%s: recorded sha256 %s is not the file's", path, got)
		}
	}
	if m.Meta.Data.SFTRows != 400 || m.Meta.Data.SFTFile != fixtureSFT {
		t.Errorf("data info %+v", m.Meta.Data)
	}
}

// FuzzDecodeWeights: arbitrary bytes as weights.bin must give an error or a
// model, never a panic or a huge allocation.
func FuzzDecodeWeights(f *testing.F) {
	for _, kind := range []string{KindClassifier, KindKNN, KindRandom} {
		m := mustTrained(f, kind)
		w, err := m.encodeWeights()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(kind, w)
		f.Add(kind, w[:len(w)/3])
	}
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		meta := mustTrained(t, KindClassifier).Meta
		meta.Kind = kind
		m := &Model{Meta: meta}
		// Make the CRC right so the fuzzer exercises the section decoders.
		if len(data) >= 16 {
			le.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], castagnoli))
		}
		_ = m.decodeWeights(data)
	})
}
