// Package catalog loads the model catalogue and price table. The gateway's
// router.yaml embeds the same "models" section, so one file can drive both
// the pipeline and serve.
package catalog

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed models.yaml
var defaultModels []byte

// Price is USD per one million tokens.
type Price struct {
	Input  float64 `yaml:"input" json:"input"`
	Output float64 `yaml:"output" json:"output"`
}

// Model describes one callable model.
type Model struct {
	// Provider is "gemini", "openai" or "replay".
	Provider string `yaml:"provider" json:"provider"`
	// UpstreamModel is the id sent upstream; defaults to the catalogue key.
	UpstreamModel string `yaml:"upstream_model,omitempty" json:"upstream_model,omitempty"`
	// BaseURL overrides the provider's default endpoint.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// APIKeyEnv names the environment variable holding the key.
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
	// APIKeyFile names a file holding the key (e.g. a mounted secret).
	APIKeyFile    string `yaml:"api_key_file,omitempty" json:"api_key_file,omitempty"`
	Price         Price  `yaml:"price" json:"price"`
	ContextWindow int    `yaml:"context_window,omitempty" json:"context_window,omitempty"`
	// Modalities are the input kinds the model takes: "text", "image",
	// "audio", "file". Empty means text only, unless the built-in
	// catalogue lists the upstream model (see Modalities).
	Modalities []string `yaml:"modalities,omitempty" json:"modalities,omitempty"`
	// BatchDiscount is the provider's batch price as a fraction of the
	// online one (0.5: half price), for calls sent through its batch API
	// (oracle --batch). Zero means the model has no batch API.
	BatchDiscount float64 `yaml:"batch_discount,omitempty" json:"batch_discount,omitempty"`
}

// BatchPrice is the price of a call made through the batch API, and
// false when the model has no batch_discount.
func (m Model) BatchPrice() (Price, bool) {
	if m.BatchDiscount <= 0 {
		return m.Price, false
	}
	return Price{Input: m.Price.Input * m.BatchDiscount, Output: m.Price.Output * m.BatchDiscount}, true
}

// Roles names the cheap, strong and judge models for a benchmark family.
type Roles struct {
	Cheap  string `yaml:"cheap"`
	Strong string `yaml:"strong"`
	// Judge is a model name, or "rule" for the rule-based/recorded judge.
	Judge string `yaml:"judge"`
}

// Catalogue is the "models" and "defaults" part of any config file.
type Catalogue struct {
	Models   map[string]Model `yaml:"models"`
	Defaults map[string]Roles `yaml:"defaults,omitempty"`
}

// DefaultCatalogue returns the built-in catalogue.
func DefaultCatalogue() (*Catalogue, error) {
	return parseCatalogue(defaultModels, "built-in models.yaml")
}

// LoadCatalogue reads path's models section, layered over the built-in one.
// An empty path returns the built-in catalogue.
func LoadCatalogue(path string) (*Catalogue, error) {
	c, err := DefaultCatalogue()
	if err != nil || path == "" {
		return c, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	user, err := parseCatalogue(data, path)
	if err != nil {
		return nil, err
	}
	for k, m := range user.Models {
		c.Models[k] = m
	}
	for k, r := range user.Defaults {
		c.Defaults[k] = r
	}
	return c, nil
}

func parseCatalogue(data []byte, name string) (*Catalogue, error) {
	var c Catalogue
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: invalid YAML: %w", name, DescribeYAMLError(data, err))
	}
	if c.Models == nil {
		c.Models = map[string]Model{}
	}
	if c.Defaults == nil {
		c.Defaults = map[string]Roles{}
	}
	for k, m := range c.Models {
		if err := m.validate(); err != nil {
			return nil, fmt.Errorf("%s: models.%s: %w", name, k, err)
		}
	}
	return &c, nil
}

func (m Model) validate() error {
	switch m.Provider {
	case "gemini", "openai", "replay":
	default:
		return fmt.Errorf("provider %q is not one of gemini, openai, replay", m.Provider)
	}
	for _, p := range []float64{m.Price.Input, m.Price.Output} {
		if p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
			return fmt.Errorf("price must be a finite number >= 0, got %v", p)
		}
	}
	if d := m.BatchDiscount; d < 0 || d > 1 || math.IsNaN(d) {
		return fmt.Errorf("batch_discount must be a fraction of the online price in (0, 1], got %v", d)
	}
	if m.Provider == "openai" && m.BaseURL == "" {
		return fmt.Errorf("provider openai needs base_url")
	}
	return nil
}

// Lookup returns the named model or a clear error listing the known ones.
func (c *Catalogue) Lookup(name string) (Model, error) {
	m, ok := c.Models[name]
	if !ok {
		return Model{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(c.Names(), ", "))
	}
	if m.UpstreamModel == "" {
		m.UpstreamModel = name
	}
	return m, nil
}

// Names lists the catalogue's model names, sorted.
func (c *Catalogue) Names() []string {
	out := make([]string, 0, len(c.Models))
	for k := range c.Models {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Cost is the USD cost of a call with the given token counts; billedOutput
// must already include thinking tokens.
func (p Price) Cost(inputTokens, billedOutput int) float64 {
	return (float64(inputTokens)*p.Input + float64(billedOutput)*p.Output) / 1e6
}

// builtin is the built-in catalogue, parsed once for Modalities.
var builtin = sync.OnceValue(func() *Catalogue {
	c, err := DefaultCatalogue()
	if err != nil {
		return &Catalogue{}
	}
	return c
})

// Modalities is what m takes as input. A router.yaml entry that lists
// none inherits them from the built-in entry for its upstream model, so
// a renamed gemini-2.5-flash keeps taking images.
func Modalities(name string, m Model) []string {
	if len(m.Modalities) > 0 {
		return m.Modalities
	}
	up := m.UpstreamModel
	if up == "" {
		up = name
	}
	if b, ok := builtin().Models[up]; ok && len(b.Modalities) > 0 {
		return b.Modalities
	}
	return []string{"text"}
}
