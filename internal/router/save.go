package router

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/policy"
)

// FormatVersion is the saved-model layout version (model.json + weights.bin).
const FormatVersion = 1

// File names inside a model directory.
const (
	MetaFile    = "model.json"
	WeightsFile = "weights.bin"
)

// Meta is model.json. It holds no timestamps, so identical training runs
// produce identical bytes.
type Meta struct {
	FormatVersion int             `json:"format_version"`
	Kind          string          `json:"kind"`
	Features      features.Config `json:"features"`
	Labels        []string        `json:"labels"`
	OutcomeLabels []string        `json:"outcome_labels"`
	ScoreKind     string          `json:"score_kind"`
	// Threshold: route to Complex_Query (the strong model) when score >= it.
	Threshold            float64         `json:"threshold"`
	ThresholdStrongShare float64         `json:"threshold_strong_share"`
	ThresholdSource      string          `json:"threshold_source"`
	CheapModel           string          `json:"cheap_model,omitempty"`
	StrongModel          string          `json:"strong_model,omitempty"`
	Seed                 uint64          `json:"seed"`
	Hyper                Hyperparameters `json:"hyperparameters"`
	Data                 DataInfo        `json:"training_data"`
	Metrics              Metrics         `json:"metrics"`
	// ScoreQuantiles are evenly spaced quantiles of scores for calibrate
	// without a query file: the held-out validation queries' (scored by the
	// validation model) when available, else the training queries'.
	ScoreQuantiles       []float64 `json:"score_quantiles,omitempty"`
	ScoreQuantilesSource string    `json:"score_quantiles_source,omitempty"`
	// Multi holds the N-model router's candidates, cost model and
	// threshold curve; nil for two-model routers. Its threshold is the
	// cost–quality knob t (see KindMulti).
	Multi         *MultiMeta `json:"multi,omitempty"`
	WeightsSHA256 string     `json:"weights_sha256"`
	WeightsBytes  int        `json:"weights_bytes"`
}

// Save writes m to dir atomically: everything goes to a temporary sibling
// directory, is fsynced, and is renamed into place. An existing model is
// first renamed aside and removed only after the new one is in place, so a
// crash leaves either the old model, the new one, or (between the two
// renames) the old one under dir's ".old" sibling, never a mix.
func Save(dir string, m *Model) error {
	weights, err := m.encodeWeights()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(weights)
	m.Meta.WeightsSHA256, m.Meta.WeightsBytes = hex.EncodeToString(sum[:]), len(weights)
	meta, err := encodeMeta(&m.Meta)
	if err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	// Temp dirs of saves killed mid-write would pile up, a model each.
	if stale, err := filepath.Glob(filepath.Join(parent, "."+filepath.Base(dir)+".tmp-*")); err == nil {
		for _, s := range stale {
			os.RemoveAll(s)
		}
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	for _, f := range []struct {
		name string
		data []byte
	}{{WeightsFile, weights}, {MetaFile, meta}} {
		if err := atomicfile.Write(filepath.Join(tmp, f.name), func(w io.Writer) error {
			_, err := w.Write(f.data)
			return err
		}); err != nil {
			return fmt.Errorf("save model: %w", err)
		}
	}
	if m.Cascade != nil {
		if err := cascade.Save(tmp, m.Cascade); err != nil {
			return fmt.Errorf("save model: %w", err)
		}
	}
	// MkdirTemp and CreateTemp make private files; a model is shared data.
	for _, name := range []string{WeightsFile, MetaFile} {
		if err := os.Chmod(filepath.Join(tmp, name), 0o644); err != nil {
			return fmt.Errorf("save model: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = dir + ".old"
		os.RemoveAll(old)
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("save model: move old model aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("save model: %w", err)
	}
	// Also drops a ".old" left by a save killed between the two renames.
	os.RemoveAll(dir + ".old")
	syncDir(parent)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func encodeMeta(meta *Meta) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(meta); err != nil {
		return nil, fmt.Errorf("encode %s: %w", MetaFile, err)
	}
	return buf.Bytes(), nil
}

// SaveMeta rewrites only model.json and, with a cascade, cascade.json
// (after calibrate), each atomically.
func SaveMeta(dir string, m *Model) error {
	if m.Cascade != nil {
		if err := cascade.SaveMeta(dir, m.Cascade); err != nil {
			return err
		}
	}
	meta, err := encodeMeta(&m.Meta)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, MetaFile)
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(meta)
		return err
	}); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// Load reads and validates a model directory.
func Load(dir string) (*Model, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("model directory %s does not exist (train one with 'llmrouter train')", dir)
	} else if err != nil {
		return nil, fmt.Errorf("model directory %s: %w", dir, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("model path %s is not a directory", dir)
	}
	metaPath := filepath.Join(dir, MetaFile)
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, fmt.Errorf("model directory %s: %w", dir, err)
	}
	var meta Meta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return nil, fmt.Errorf("%s: invalid model metadata: %w", metaPath, err)
	}
	if err := meta.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", metaPath, err)
	}
	wPath := filepath.Join(dir, WeightsFile)
	weights, err := os.ReadFile(wPath)
	if err != nil {
		return nil, fmt.Errorf("model directory %s: %w", dir, err)
	}
	if err := atomicfile.CheckDigest(wPath, weights, MetaFile, meta.WeightsBytes, meta.WeightsSHA256); err != nil {
		return nil, err
	}
	m := &Model{Meta: meta}
	if err := m.decodeWeights(weights); err != nil {
		return nil, fmt.Errorf("%s: %w", wPath, err)
	}
	if m.scorer, err = scorer(meta.ScoreKind); err != nil {
		return nil, fmt.Errorf("%s: %w", metaPath, err)
	}
	if needsTopic(meta.ScoreKind) && m.topic == nil {
		return nil, fmt.Errorf("%s: score kind %s needs a topic head, and %s has none", metaPath, meta.ScoreKind, wPath)
	}
	if m.Cascade, err = cascade.Load(dir); err != nil {
		return nil, err
	}
	return m, nil
}

func (meta *Meta) validate() error {
	if meta.FormatVersion != FormatVersion {
		return fmt.Errorf("model format version %d, this build reads %d; retrain the model", meta.FormatVersion, FormatVersion)
	}
	switch meta.Kind {
	case KindClassifier, KindKNN:
		if err := meta.Features.Validate(); err != nil {
			return err
		}
	case KindRandom:
	case KindMulti:
		if err := meta.Features.Validate(); err != nil {
			return err
		}
		if meta.Multi == nil {
			return fmt.Errorf("kind %s without its multi section", KindMulti)
		}
		if err := meta.Multi.validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown model kind %q", meta.Kind)
	}
	if len(meta.Labels) != len(policy.Labels) {
		return fmt.Errorf("labels %v do not match this build's %v", meta.Labels, policy.Labels)
	}
	for i, l := range policy.Labels {
		if meta.Labels[i] != l {
			return fmt.Errorf("labels %v do not match this build's %v", meta.Labels, policy.Labels)
		}
	}
	if !(meta.Threshold >= 0 && meta.Threshold <= 1) || math.IsNaN(meta.Threshold) {
		return fmt.Errorf("threshold %v outside [0, 1]", meta.Threshold)
	}
	return nil
}
