package provider

import "context"

// Embedder is an optional ability of a provider: turning texts into vectors,
// one per text, in order. Find it with AsEmbedder, since wrappers (retries,
// registry pinning) hide the concrete type.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// ModelEmbedder is implemented by clients that can embed with a named model;
// the registry adapts it to Embedder for one catalogue model.
type ModelEmbedder interface {
	EmbedModel(ctx context.Context, model string, texts []string) ([][]float32, error)
}

// Unwrapper is implemented by wrapping providers.
type Unwrapper interface {
	Unwrap() Provider
}

// AsEmbedder returns p's Embedder, looking through wrappers.
func AsEmbedder(p Provider) (Embedder, bool) {
	for p != nil {
		if e, ok := p.(Embedder); ok {
			return e, true
		}
		u, ok := p.(Unwrapper)
		if !ok {
			return nil, false
		}
		p = u.Unwrap()
	}
	return nil, false
}

// AsModelEmbedder returns p's ModelEmbedder, looking through wrappers.
func AsModelEmbedder(p Provider) (ModelEmbedder, bool) {
	for p != nil {
		if e, ok := p.(ModelEmbedder); ok {
			return e, true
		}
		u, ok := p.(Unwrapper)
		if !ok {
			return nil, false
		}
		p = u.Unwrap()
	}
	return nil, false
}
