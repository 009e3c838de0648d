package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
)

// parseModelList splits a --models value: catalogue names, comma-separated,
// each once. An empty value is nil (the cheap/strong pair alone).
func parseModelList(flag, s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("%w: %s %q: empty model name", errUsage, flag, s)
		case slices.Contains(out, name):
			return nil, fmt.Errorf("%w: %s: model %q is listed twice", errUsage, flag, name)
		}
		out = append(out, name)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("%w: %s %q: name at least two models", errUsage, flag, s)
	}
	return out, nil
}

// resolveModels returns the roles and every answering model. Without a
// list it is resolveRoles and the pair. With one, the matrix's pair comes
// from the list: a --cheap-model or --strong-model flag must be in it; an
// unset role takes the benchmark's default when the list holds it, else
// the list's cheapest (or priciest) model by catalogue price, so that the
// SFT/DPO labels keep meaning "cheap" and "strong".
func resolveModels(cat *catalog.Catalogue, items []dataset.Item, r catalog.Roles, list []string) (catalog.Roles, []string, error) {
	if len(list) == 0 {
		roles, err := resolveRoles(cat, items, r)
		return roles, []string{roles.Cheap, roles.Strong}, err
	}
	for _, m := range list {
		if _, err := cat.Lookup(m); err != nil {
			return r, nil, fmt.Errorf("--models: %w", err)
		}
	}
	family := rolesFamily(items)
	def := cat.Defaults[family]
	var err error
	if r.Cheap, err = pickRole(cat, "--cheap-model", r.Cheap, def.Cheap, list, false); err != nil {
		return r, nil, err
	}
	if r.Strong, err = pickRole(cat, "--strong-model", r.Strong, def.Strong, list, true); err != nil {
		return r, nil, err
	}
	if r.Judge == "" {
		r.Judge = def.Judge
	}
	switch {
	case r.Judge == "":
		return r, nil, fmt.Errorf("config has no defaults.%s judge: pass --judge-model", family)
	case r.Judge != judgeRule:
		if _, err := cat.Lookup(r.Judge); err != nil {
			return r, nil, fmt.Errorf("--judge-model: %w", err)
		}
	}
	if r.Cheap == r.Strong {
		return r, nil, fmt.Errorf("--cheap-model and --strong-model are both %q; the oracle matrix compares two different models", r.Cheap)
	}
	return r, list, nil
}

// pickRole chooses one of the pair from list (see resolveModels).
func pickRole(cat *catalog.Catalogue, flag, given, def string, list []string, priciest bool) (string, error) {
	if given != "" {
		if !slices.Contains(list, given) {
			return "", fmt.Errorf("%w: %s %q is not in --models %s", errUsage, flag, given, strings.Join(list, ","))
		}
		return given, nil
	}
	if slices.Contains(list, def) {
		return def, nil
	}
	best := list[0]
	for _, m := range list[1:] {
		if p, q := unitPrice(cat, m), unitPrice(cat, best); (priciest && p > q) || (!priciest && p < q) {
			best = m
		}
	}
	return best, nil
}

// unitPrice ranks models by price: input plus output USD per 1M tokens.
func unitPrice(cat *catalog.Catalogue, model string) float64 {
	m, err := cat.Lookup(model)
	if err != nil {
		return 0
	}
	return m.Price.Input + m.Price.Output
}
