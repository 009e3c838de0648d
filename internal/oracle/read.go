package oracle

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/policy"
)

// ReadDataset reads and validates an oracle_dataset.jsonl. Users may edit
// the file by hand, so every row is checked and errors name file:line.
func ReadDataset(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open oracle file: %w", err)
	}
	defer f.Close()
	var rows []Row
	seen := map[string]int{}
	err = jsonl.EachLine(f, path, func(line int, raw []byte) error {
		var r Row
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("%s:%d: invalid JSON: %w", path, line, err)
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if prev, dup := seen[r.ID]; dup {
			return fmt.Errorf("%s:%d: duplicate id %q (first on line %d)", path, line, r.ID, prev)
		}
		seen[r.ID] = line
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: file is empty (no oracle rows)", path)
	}
	return rows, nil
}

// Validate checks the fields later stages rely on.
func (r Row) Validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("missing id")
	case strings.TrimSpace(r.Query) == "":
		return fmt.Errorf("row %q: missing query", r.ID)
	case !policy.Valid(r.Policy):
		return fmt.Errorf("row %q: unknown policy %q (want one of %s)", r.ID, r.Policy, strings.Join(policy.Labels, ", "))
	}
	if _, _, ok := grade.SplitCell(r.Cell); !ok {
		return fmt.Errorf("row %q: cell %q is not <grade>/<grade> with grades %s", r.ID, r.Cell, strings.Join(grade.All, ", "))
	}
	return r.validateResults()
}

// validateResults checks the per-model list of a row from a run with more
// than two models: each model once, a known grade each.
func (r Row) validateResults() error {
	seen := make(map[string]bool, len(r.Results))
	for i, m := range r.Results {
		switch {
		case m.Model == "":
			return fmt.Errorf("row %q: results[%d] has no model", r.ID, i)
		case seen[m.Model]:
			return fmt.Errorf("row %q: results[%d]: model %q is listed twice", r.ID, i, m.Model)
		case !grade.Valid(m.Grade):
			return fmt.Errorf("row %q: results[%d] (%s): unknown grade %q (want one of %s)", r.ID, i, m.Model, m.Grade, strings.Join(grade.All, ", "))
		}
		seen[m.Model] = true
	}
	return nil
}
