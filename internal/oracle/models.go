package oracle

import (
	"fmt"
	"slices"
	"strings"
)

// sideModelPrefix starts the journal side of a model outside the matrix's
// cheap/strong pair. The pair keeps its "cheap" and "strong" sides, so a
// two-model journal resumes into a run with more models and pays only for
// the new ones.
const sideModelPrefix = "model:"

// SideModel is the journal side of a model that is neither the cheap nor
// the strong one.
func SideModel(model string) string { return sideModelPrefix + model }

// validSide reports whether s is a side the journal may hold.
func validSide(s string) bool {
	return s == SideCheap || s == SideStrong || (strings.HasPrefix(s, sideModelPrefix) && len(s) > len(sideModelPrefix))
}

// normalizeModels fills Models with the pair when empty and checks that
// it names each model once and holds the pair.
func normalizeModels(cfg *Config) error {
	if len(cfg.Models) == 0 {
		cfg.Models = []string{cfg.Cheap, cfg.Strong}
		return nil
	}
	seen := make(map[string]bool, len(cfg.Models))
	for i, m := range cfg.Models {
		switch {
		case strings.TrimSpace(m) == "":
			return fmt.Errorf("oracle: model %d of the list is empty", i+1)
		case seen[m]:
			return fmt.Errorf("oracle: model %q is listed twice", m)
		}
		seen[m] = true
	}
	for _, m := range []string{cfg.Cheap, cfg.Strong} {
		if !seen[m] {
			return fmt.Errorf("oracle: the models %s do not include %q, which the matrix's cheap/strong pair needs", strings.Join(cfg.Models, ","), m)
		}
	}
	cfg.Models = slices.Clone(cfg.Models)
	return nil
}

// setSides resolves every model's provider, in Config.Models order.
func (r *runner) setSides() error {
	r.sides = make([]side, len(r.cfg.Models))
	for i, model := range r.cfg.Models {
		name := SideModel(model)
		switch model {
		case r.cfg.Cheap:
			name, r.cheap = SideCheap, i
		case r.cfg.Strong:
			name, r.strong = SideStrong, i
		}
		p, m, err := r.cfg.Providers.Get(model)
		if err != nil {
			return fmt.Errorf("%s model: %w", strings.TrimPrefix(name, sideModelPrefix), err)
		}
		r.sides[i] = side{name: name, model: model, p: p, m: m}
	}
	return nil
}

// multi reports whether the run has models beyond the cheap/strong pair;
// only then do rows list every model's result.
func (r *runner) multi() bool { return len(r.sides) > 2 }

// graded reports whether every side of the item has its grade.
func graded(st *itemState) bool {
	if len(st.grade) == 0 {
		return false
	}
	for _, g := range st.grade {
		if g == nil {
			return false
		}
	}
	return true
}

// ModelResults lists the row's results for every model: Results when the
// run had more than two models, else the cheap and strong results (older
// files and two-model runs carry only those).
func (r Row) ModelResults() []ModelResult {
	if len(r.Results) > 0 {
		return r.Results
	}
	return []ModelResult{r.Cheap, r.Strong}
}

// Result returns the row's result for model.
func (r Row) Result(model string) (ModelResult, bool) {
	for _, m := range r.ModelResults() {
		if m.Model == model {
			return m, true
		}
	}
	return ModelResult{}, false
}

// ModelNames lists the models of rows in the order of the first row that
// names the most of them, for callers that need one order for all rows.
func ModelNames(rows []Row) []string {
	var best []string
	for _, r := range rows {
		if res := r.ModelResults(); len(res) > len(best) {
			best = make([]string, len(res))
			for i, m := range res {
				best[i] = m.Model
			}
		}
	}
	return best
}
