package catalog

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseCatalogue feeds arbitrary YAML to the catalogue loader used by
// every command's --config: it must never panic, errors must name the
// file, and an accepted catalogue must only hold models the registry can
// build, with finite non-negative prices.
func FuzzParseCatalogue(f *testing.F) {
	f.Add(defaultModels)
	f.Add([]byte("models:\n  m:\n    provider: openai\n    base_url: http://127.0.0.1:8080/v1\n    price: {input: 0, output: 0}\n"))
	f.Add([]byte("models:\n  m:\n    provider: gemini\n    price: {input: .nan, output: -1}\n"))
	f.Add([]byte("models: [1, 2]\ndefaults: {x: {cheap: a}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalogue(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, name := range c.Names() {
			m, err := c.Lookup(name)
			if err != nil || m.UpstreamModel == "" {
				t.Fatalf("Lookup(%q) = %+v, %v", name, m, err)
			}
			if err := m.validate(); err != nil {
				t.Fatalf("accepted an invalid model %q: %v", name, err)
			}
			if cost := m.Price.Cost(1000, 1000); cost < 0 || math.IsNaN(cost) || math.IsInf(cost, 0) {
				t.Fatalf("model %q costs %v", name, cost)
			}
		}
	})
}
