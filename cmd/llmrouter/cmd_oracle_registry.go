package main

import (
	"fmt"

	"github.com/llmrouter/llmrouter/internal/config"
)

// newModelRegistry builds the provider registry for the catalogue; tests
// replace it with fakes.
var newModelRegistry = func(cat *config.Catalogue, getenv func(string) string) (modelRegistry, error) {
	return nil, fmt.Errorf("%w: internal/provider/registry is not in this build yet", errNoRegistry)
}
