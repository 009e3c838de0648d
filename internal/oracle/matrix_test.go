package oracle

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/policy"
)

func TestDefaultMatrixAllNineCells(t *testing.T) {
	m := DefaultMatrix()
	std := &Preference{Chosen: policy.Standard, Rejected: policy.Complex}
	cpx := &Preference{Chosen: policy.Complex, Rejected: policy.Standard}
	tests := []struct {
		cheap, strong, policy string
		prefer                *Preference
	}{
		{grade.Correct, grade.Correct, policy.Standard, std},
		{grade.Correct, grade.Incorrect, policy.Standard, std},
		{grade.Correct, grade.NotAttempted, policy.Standard, std},
		{grade.Incorrect, grade.Correct, policy.Complex, cpx},
		{grade.NotAttempted, grade.Correct, policy.Complex, cpx},
		{grade.Incorrect, grade.Incorrect, policy.Ambiguous, nil},
		{grade.Incorrect, grade.NotAttempted, policy.Ambiguous, nil},
		{grade.NotAttempted, grade.Incorrect, policy.Ambiguous, nil},
		{grade.NotAttempted, grade.NotAttempted, policy.Ambiguous, nil},
	}
	if len(tests) != 9 {
		t.Fatal("table must cover 9 cells")
	}
	for _, tc := range tests {
		t.Run(grade.Cell(tc.cheap, tc.strong), func(t *testing.T) {
			d, err := m.Decide(tc.cheap, tc.strong)
			if err != nil {
				t.Fatal(err)
			}
			if d.Policy != tc.policy {
				t.Errorf("policy = %s, want %s", d.Policy, tc.policy)
			}
			switch {
			case tc.prefer == nil && d.Prefer != nil:
				t.Errorf("prefer = %+v, want none", *d.Prefer)
			case tc.prefer != nil && (d.Prefer == nil || *d.Prefer != *tc.prefer):
				t.Errorf("prefer = %+v, want %+v", d.Prefer, *tc.prefer)
			}
		})
	}
}

func TestParseMatrixErrors(t *testing.T) {
	full := string(DefaultMatrixYAML())
	tests := []struct {
		name, yaml, want string
	}{
		{"not yaml", "cells: [", "m.yaml: invalid matrix YAML"},
		{"unknown top key", "rows: []", `m.yaml:1: unknown key "rows"`},
		{"empty file", "", "m.yaml: missing cells CORRECT/CORRECT"},
		{"cells not a list", "cells: 3", "m.yaml:1: cells must be a list"},
		{"typo in cell", strings.Replace(full, "strong: INCORRECT, policy: Ambiguous_Query}", "strong: INCORRECT, polcy: Ambiguous_Query}", 1),
			`unknown key "polcy"`},
		{"missing cell", strings.Replace(full, "  - {cheap: NOT_ATTEMPTED, strong: NOT_ATTEMPTED, policy: Ambiguous_Query}\n", "", 1),
			"m.yaml: missing cells NOT_ATTEMPTED/NOT_ATTEMPTED"},
		{"unknown policy", strings.Replace(full, "strong: INCORRECT, policy: Ambiguous_Query}", "strong: INCORRECT, policy: Cheap_Query}", 1),
			"cell INCORRECT/INCORRECT: unknown policy \"Cheap_Query\""},
		{"bad grade", strings.Replace(full, "cheap: CORRECT, strong: CORRECT", "cheap: RIGHT, strong: CORRECT", 1),
			"cell RIGHT/CORRECT: cheap grade \"RIGHT\""},
		{"duplicate cell", full + "  - {cheap: CORRECT, strong: CORRECT, policy: Complex_Query}\n", "cell CORRECT/CORRECT appears twice"},
		{"bad preference", strings.Replace(full, "rejected: Complex_Query}}", "rejected: Standard_Query}}", 1),
			"chosen and rejected are the same policy"},
		{"unknown preference", strings.Replace(full, "rejected: Complex_Query}}", "rejected: Nope}}", 1),
			"prefer needs known chosen and rejected policies"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMatrix([]byte(tc.yaml), "m.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
		})
	}
}

func TestParseMatrixNamesLine(t *testing.T) {
	y := strings.Replace(string(DefaultMatrixYAML()), "strong: INCORRECT, policy: Ambiguous_Query}", "strong: INCORRECT, policy: X}", 1)
	_, err := ParseMatrix([]byte(y), "m.yaml")
	line := 0
	for i, l := range strings.Split(y, "\n") {
		if strings.Contains(l, "policy: X}") {
			line = i + 1
		}
	}
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("m.yaml:%d:", line)) {
		t.Fatalf("err = %v, want line %d", err, line)
	}
}

func TestLoadMatrixOverride(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.yaml")
	y := strings.ReplaceAll(string(DefaultMatrixYAML()), "cheap: CORRECT, strong: INCORRECT, policy: Standard_Query, prefer: {chosen: Standard_Query, rejected: Complex_Query}",
		"cheap: CORRECT, strong: INCORRECT, policy: Ambiguous_Query")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadMatrix(p)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := m.Decide(grade.Correct, grade.Incorrect)
	if d.Policy != policy.Ambiguous || d.Prefer != nil {
		t.Fatalf("override not applied: %+v", d)
	}
	if _, err := LoadMatrix(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}
