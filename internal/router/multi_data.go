package router

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// mexample is one outcome row, parsed: each candidate's correctness and
// what its answer cost, in candidate order.
type mexample struct {
	query, topic string
	row          int // index into the unique-query matrix
	correct      []float64
	in, out      []float64
	cost         []float64
	// answer holds the answer texts, for the cascade verifier ("" where
	// only an outcome was recorded).
	answer []string
}

// multiData is the N-model router's training data.
type multiData struct {
	models   []string
	examples []mexample
	info     DataInfo
}

// loadOutcomes reads the outcome rows. The candidates are the models of the
// first row; every row must list exactly those (in any order), since a
// model missing from some rows would be learned from a biased sample.
func loadOutcomes(cfg *TrainConfig) (*multiData, error) {
	name := orDefault(cfg.OutcomesPath, "outcome rows")
	rows, sum, err := readRows(cfg.OutcomesPath, cfg.Outcomes)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no outcome rows", name)
	}
	d := &multiData{info: DataInfo{OutcomesFile: cfg.OutcomesPath, OutcomesSHA256: sum, OutcomeRows: len(rows)}}
	for _, r := range rows[0].Results {
		d.models = append(d.models, r.Model)
	}
	if n := len(d.models); n < 2 || n > maxCandidates {
		return nil, fmt.Errorf("%s: row 1 lists %d models; the N-model router needs 2 to %d", name, n, maxCandidates)
	}
	index := make(map[string]int, len(d.models))
	for k, m := range d.models {
		if _, dup := index[m]; dup || m == "" {
			return nil, fmt.Errorf("%s: row 1: empty or repeated model %q", name, m)
		}
		index[m] = k
	}
	seen := make(map[string]int, len(rows))
	for i, r := range rows {
		e, err := parseOutcome(r, index)
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", name, i+1, err)
		}
		if r.ID != "" {
			if j, dup := seen[r.ID]; dup {
				return nil, fmt.Errorf("%s: row %d: duplicate id %q (first in row %d)", name, i+1, r.ID, j)
			}
			seen[r.ID] = i + 1
		}
		d.examples = append(d.examples, e)
	}
	return d, nil
}

func parseOutcome(r trl.OutcomeRow, index map[string]int) (mexample, error) {
	if strings.TrimSpace(r.Query) == "" {
		return mexample{}, fmt.Errorf("missing query")
	}
	n := len(index)
	if len(r.Results) != n {
		return mexample{}, fmt.Errorf("%d results, want one per model (%d)", len(r.Results), n)
	}
	e := mexample{query: r.Query, topic: r.Topic, correct: make([]float64, n),
		in: make([]float64, n), out: make([]float64, n), cost: make([]float64, n), answer: make([]string, n)}
	got := make([]bool, n)
	for _, res := range r.Results {
		k, ok := index[res.Model]
		switch {
		case !ok:
			return mexample{}, fmt.Errorf("model %q is not among the first row's", res.Model)
		case got[k]:
			return mexample{}, fmt.Errorf("model %q listed twice", res.Model)
		case !grade.Valid(res.Grade):
			return mexample{}, fmt.Errorf("model %s: unknown grade %q (want one of %s)", res.Model, res.Grade, strings.Join(grade.All, ", "))
		case res.InputTokens < 0 || res.OutputTokens < 0 || !(res.CostUSD >= 0):
			return mexample{}, fmt.Errorf("model %s: negative tokens or cost", res.Model)
		}
		got[k] = true
		if res.Grade == grade.Correct {
			e.correct[k] = 1
		}
		e.in[k], e.out[k], e.cost[k] = float64(res.InputTokens), float64(res.OutputTokens), res.CostUSD
		e.answer[k] = res.Answer
	}
	return e, nil
}

// candidates computes each model's expected cost per query: the rows' mean
// input and billed output tokens at the catalogue's prices, or, for a
// model the catalogue does not price, the rows' mean cost.
func candidates(models []string, ex []mexample, prices map[string]catalog.Price) []Candidate {
	out := make([]Candidate, len(models))
	n := float64(len(ex))
	for k, m := range models {
		c := Candidate{Model: m}
		var cost float64
		for _, e := range ex {
			c.MeanInputTokens += e.in[k] / n
			c.MeanOutputTokens += e.out[k] / n
			c.TrainAccuracy += e.correct[k] / n
			cost += e.cost[k] / n
		}
		c.CostUSD = cost
		if p, ok := prices[m]; ok && (p.Input > 0 || p.Output > 0) {
			c.PriceInput, c.PriceOutput = p.Input, p.Output
			c.CostUSD = (p.Input*c.MeanInputTokens + p.Output*c.MeanOutputTokens) / 1e6
		}
		c.MeanInputTokens, c.MeanOutputTokens = round6(c.MeanInputTokens), round6(c.MeanOutputTokens)
		c.TrainAccuracy, c.CostUSD = round6(c.TrainAccuracy), round6(c.CostUSD)
		out[k] = c
	}
	return out
}

// costScale is C, the priciest candidate's expected cost; 1 when every
// candidate is free, so that costs then weigh nothing.
func costScale(cs []Candidate) float64 {
	s := 0.0
	for _, c := range cs {
		s = max(s, c.CostUSD)
	}
	if s <= 0 {
		return 1
	}
	return s
}

// multiPair names the cheap and strong models recorded in the model: the
// configured ones when they are candidates, else the cheapest and the
// priciest.
func multiPair(cfg TrainConfig, cs []Candidate) (cheap, strong string) {
	names := make([]string, len(cs))
	for k, c := range cs {
		names[k] = c.Model
	}
	lo, hi := costExtremes(cs)
	cheap, strong = cs[lo].Model, cs[hi].Model
	if slices.Contains(names, cfg.CheapModel) && slices.Contains(names, cfg.StrongModel) && cfg.CheapModel != cfg.StrongModel {
		cheap, strong = cfg.CheapModel, cfg.StrongModel
	}
	return cheap, strong
}

// costExtremes returns the indexes of the cheapest and the priciest
// candidates by expected cost, the first of each on ties.
func costExtremes(cs []Candidate) (cheapest, priciest int) {
	for k, c := range cs {
		if c.CostUSD < cs[cheapest].CostUSD {
			cheapest = k
		}
		if c.CostUSD > cs[priciest].CostUSD {
			priciest = k
		}
	}
	return cheapest, priciest
}
