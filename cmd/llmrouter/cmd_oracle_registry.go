package main

import (
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
)

// newModelRegistry builds the provider registry for the catalogue; tests
// replace it with fakes.
var newModelRegistry = func(cat *catalog.Catalogue, getenv func(string) string) (modelRegistry, error) {
	return registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: getenv}), nil
}
