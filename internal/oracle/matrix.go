package oracle

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/policy"
)

//go:embed matrix.yaml
var defaultMatrixYAML []byte

// DefaultMatrixYAML returns the documented built-in matrix file, so users
// can start their own from it.
func DefaultMatrixYAML() []byte { return append([]byte(nil), defaultMatrixYAML...) }

// Preference is a DPO pair: the policy to prefer over another.
type Preference struct {
	Chosen   string `yaml:"chosen" json:"chosen"`
	Rejected string `yaml:"rejected" json:"rejected"`
}

// Decision is what the matrix says about one cell.
type Decision struct {
	Policy string `json:"policy"`
	// Prefer is nil when the cell gives no preference pair.
	Prefer *Preference `json:"prefer,omitempty"`
}

// Matrix maps each of the 9 (cheap grade, strong grade) cells to a Decision.
type Matrix struct {
	// Source names where the matrix came from, for messages.
	Source string
	cells  map[string]Decision
}

// DefaultMatrix is the built-in matrix (matrix.yaml).
func DefaultMatrix() Matrix {
	m, err := ParseMatrix(defaultMatrixYAML, "built-in matrix.yaml")
	if err != nil {
		panic(err) // the embedded file is tested; this is a build defect
	}
	return m
}

// LoadMatrix reads a matrix file; an empty path gives the default.
func LoadMatrix(path string) (Matrix, error) {
	if path == "" {
		return DefaultMatrix(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Matrix{}, fmt.Errorf("read matrix: %w", err)
	}
	return ParseMatrix(data, path)
}

type cellYAML struct {
	Cheap  string      `yaml:"cheap"`
	Strong string      `yaml:"strong"`
	Policy string      `yaml:"policy"`
	Prefer *Preference `yaml:"prefer"`
}

// ParseMatrix decodes and validates a matrix; errors name the file, the line
// and the cell.
func ParseMatrix(data []byte, name string) (Matrix, error) {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Matrix{}, fmt.Errorf("%s: invalid matrix YAML: %s", name, flatten(err))
	}
	for k, n := range doc {
		if k != "cells" {
			return Matrix{}, fmt.Errorf("%s:%d: unknown key %q (the matrix has one key, cells)", name, n.Line, k)
		}
	}
	cellsNode := doc["cells"]
	var cells []yaml.Node
	if err := cellsNode.Decode(&cells); err != nil {
		return Matrix{}, fmt.Errorf("%s:%d: cells must be a list: %s", name, cellsNode.Line, flatten(err))
	}
	m := Matrix{Source: name, cells: make(map[string]Decision, 9)}
	for i := range cells {
		n := &cells[i]
		var c cellYAML
		if err := decodeStrict(n, &c); err != nil {
			return Matrix{}, fmt.Errorf("%s:%d: invalid cell: %s", name, n.Line, flatten(err))
		}
		key := grade.Cell(c.Cheap, c.Strong)
		if err := c.validate(); err != nil {
			return Matrix{}, fmt.Errorf("%s:%d: cell %s: %w", name, n.Line, key, err)
		}
		if _, dup := m.cells[key]; dup {
			return Matrix{}, fmt.Errorf("%s:%d: cell %s appears twice", name, n.Line, key)
		}
		m.cells[key] = Decision{Policy: c.Policy, Prefer: c.Prefer}
	}
	var missing []string
	for _, ch := range grade.All {
		for _, st := range grade.All {
			if _, ok := m.cells[grade.Cell(ch, st)]; !ok {
				missing = append(missing, grade.Cell(ch, st))
			}
		}
	}
	if len(missing) > 0 {
		return Matrix{}, fmt.Errorf("%s: missing cells %s (all 9 cheap/strong grade pairs are required)", name, strings.Join(missing, ", "))
	}
	return m, nil
}

// decodeStrict decodes a mapping node, rejecting unknown keys so a typo such
// as "polcy" is reported rather than silently ignored.
func decodeStrict(n *yaml.Node, v any) error {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i].Value; k {
			case "cheap", "strong", "policy", "prefer":
			default:
				return fmt.Errorf("unknown key %q (want cheap, strong, policy, prefer)", k)
			}
		}
	}
	return n.Decode(v)
}

// flatten keeps YAML errors, which span lines, to one line.
func flatten(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (c cellYAML) validate() error {
	if !grade.Valid(c.Cheap) {
		return fmt.Errorf("cheap grade %q is not one of %s", c.Cheap, strings.Join(grade.All, ", "))
	}
	if !grade.Valid(c.Strong) {
		return fmt.Errorf("strong grade %q is not one of %s", c.Strong, strings.Join(grade.All, ", "))
	}
	if !policy.Valid(c.Policy) {
		return fmt.Errorf("unknown policy %q (want one of %s)", c.Policy, strings.Join(policy.Labels, ", "))
	}
	if p := c.Prefer; p != nil {
		if !policy.Valid(p.Chosen) || !policy.Valid(p.Rejected) {
			return fmt.Errorf("prefer needs known chosen and rejected policies, got %q over %q", p.Chosen, p.Rejected)
		}
		if p.Chosen == p.Rejected {
			return errors.New("prefer: chosen and rejected are the same policy")
		}
	}
	return nil
}

// Decide returns the decision for a pair of grades.
func (m Matrix) Decide(cheap, strong string) (Decision, error) {
	return m.Cell(grade.Cell(cheap, strong))
}

// Cell returns the decision for a cell key such as "INCORRECT/CORRECT".
func (m Matrix) Cell(key string) (Decision, error) {
	d, ok := m.cells[key]
	if !ok {
		return Decision{}, fmt.Errorf("oracle matrix %s has no cell %q", m.Source, key)
	}
	return d, nil
}
