package catalog

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestDescribeYAMLError(t *testing.T) {
	type limits struct {
		MaxBodyBytes int64 `yaml:"max_body_bytes"`
	}
	type key struct {
		ID string `yaml:"id"`
		N  int    `yaml:"n"`
	}
	type doc struct {
		Limits limits                        `yaml:"limits"`
		Price  map[string]map[string]float64 `yaml:"models"`
		Keys   []key                         `yaml:"keys"`
		Tags   []string                      `yaml:"tags"`
	}
	tests := []struct{ name, yaml, want string }{
		{"nested scalar", "limits:\n  max_body_bytes: lots\n", "line 2: limits.max_body_bytes: want int64, got string \"lots\""},
		{"flow mapping picks the right key", "models:\n  m: {input: 1, output: cheap}\n", "line 2: models.m.output: want float64, got string \"cheap\""},
		{"list item field", "keys:\n  - id: a\n    n: many\n", "line 3: keys[0].n: want int, got string \"many\""},
		{"mapping where a list belongs", "tags:\n  a: b\n", "line 2: tags: want []string, got mapping"},
		{"two errors", "limits:\n  max_body_bytes: x\nkeys:\n  - n: y\n", "line 2: limits.max_body_bytes: want int64, got string \"x\"; line 4: keys[0].n: want int, got string \"y\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := yaml.Unmarshal([]byte(tc.yaml), &d)
			if err == nil {
				t.Fatal("want a type error")
			}
			if got := DescribeYAMLError([]byte(tc.yaml), err).Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s\n(raw %v)", got, tc.want, err)
			}
		})
	}
}

func TestDescribeYAMLErrorPassesOthersThrough(t *testing.T) {
	other := errors.New("yaml: line 1: did not find expected key")
	if got := DescribeYAMLError([]byte("a: [\n"), other); got != other {
		t.Fatalf("got %v", got)
	}
}
