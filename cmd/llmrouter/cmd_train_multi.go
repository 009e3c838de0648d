package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// outcomesBeside is the outcomes file prepare writes next to sftPath.
func outcomesBeside(sftPath string) string {
	return filepath.Join(filepath.Dir(sftPath), trainset.OutcomesFile)
}

// outcomeModels returns the models the first row of an outcomes file
// lists, read as the trainer reads the file; 0 models and no error when
// the file does not exist.
func outcomeModels(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("outcomes file: %w", err)
	}
	defer f.Close()
	var models []string
	err = jsonl.EachLine(f, path, func(line int, raw []byte) error {
		var row trl.OutcomeRow
		if err := json.Unmarshal(raw, &row); err != nil {
			return fmt.Errorf("%s:%d: invalid JSON: %w", path, line, err)
		}
		models = make([]string, len(row.Results))
		for i, r := range row.Results {
			models[i] = r.Model
		}
		return errFirstRow
	})
	if errors.Is(err, errFirstRow) {
		return models, nil
	}
	return nil, err
}

// errFirstRow stops reading an outcomes file after its first row.
var errFirstRow = errors.New("first row read")

// catalogPrices reads the catalogue's prices for the N-model router's
// expected costs.
func catalogPrices(path string) (map[string]catalog.Price, error) {
	cat, err := catalog.LoadCatalogue(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]catalog.Price, len(cat.Models))
	for name, m := range cat.Models {
		out[name] = m.Price
	}
	return out, nil
}

// printMultiSummary reports an N-model router's candidates and knob.
func printMultiSummary(w io.Writer, m *router.Model) {
	mm := m.Meta.Multi
	fmt.Fprintf(w, "candidates (expected cost per query, training accuracy):\n")
	for _, c := range mm.Candidates {
		fmt.Fprintf(w, "  %-28s $%.6f  %5.1f%%\n", c.Model, c.CostUSD, 100*c.TrainAccuracy)
	}
	fmt.Fprintf(w, "probabilities %s; threshold t %.3f (%s), λ %s; on %s: best single %s %.1f%%\n",
		mm.ProbKind, m.Threshold(), mm.Target, fmtLambda(mm.LambdaPerUSD), mm.CurveSource, mm.BestSingle, 100*mm.BestSingleAccuracy)
}

// fmtLambda prints λ per USD; -1 stands for t = 1 (cost alone counts).
func fmtLambda(l float64) string {
	if l < 0 {
		return "∞ (cheapest model only)"
	}
	return fmt.Sprintf("%.4g per USD", l)
}

// resolveTrainKind picks the N-model router when --router is not given and
// the outcomes file lists more than two models, and readies its inputs.
func resolveTrainKind(env *Env, flags *flag.FlagSet, cfg *router.TrainConfig, catalog string) error {
	if cfg.OutcomesPath == "" {
		cfg.OutcomesPath = outcomesBeside(cfg.SFTPath)
	}
	if !trainFlagGiven(flags, "router") && !trainFlagGiven(flags, "kind") {
		models, err := outcomeModels(cfg.OutcomesPath)
		if err != nil {
			return err
		}
		if len(models) > 2 {
			env.Log.Info("the outcomes file lists more than two models: training the N-model router", "path", cfg.OutcomesPath, "models", len(models))
			cfg.Kind = router.KindMulti
		}
	}
	if cfg.Kind != router.KindMulti {
		cfg.OutcomesPath = ""
		return nil
	}
	if _, err := os.Stat(cfg.OutcomesPath); err != nil {
		return fmt.Errorf("--router multi trains on per-model outcome rows: %w (run 'llmrouter prepare' on an oracle dataset)", err)
	}
	var err error
	cfg.Prices, err = catalogPrices(catalog)
	return err
}
