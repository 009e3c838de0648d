package main

import (
	"github.com/llmrouter/llmrouter/internal/config"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
)

// newModelRegistry builds the provider registry for the catalogue; tests
// replace it with fakes.
var newModelRegistry = func(cat *config.Catalogue, getenv func(string) string) (modelRegistry, error) {
	return registry.New(cat, registry.Options{Getenv: getenv}), nil
}
