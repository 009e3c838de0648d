package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
)

// partModality is the catalogue modality each media part type needs.
var partModality = map[string]string{"image_url": "image", "input_audio": "audio", "file": "file"}

// mediaNeeds lists the modalities x's request needs beyond text, in a
// fixed order so errors read the same every time.
func mediaNeeds(req *openaiapi.ChatRequest) []string {
	var need []string
	for _, m := range req.Messages {
		for _, p := range m.Parts {
			if mod, ok := partModality[p.Type]; ok && !slices.Contains(need, mod) {
				need = append(need, mod)
			}
		}
	}
	slices.Sort(need)
	return need
}

// takes reports whether catalogue model name accepts every modality.
func (s *Server) takes(name string, need []string) bool {
	m, ok := s.cat.Models[name]
	if !ok {
		return false
	}
	have := catalog.Modalities(name, m)
	for _, n := range need {
		if !slices.Contains(have, n) {
			return false
		}
	}
	return true
}

// planMedia keeps in x.chain only the models that take the request's
// media. A routed request whose chain is left empty goes to the cheapest
// capable model the key may use: sending an image to a text-only model
// would fail upstream or, worse, be answered without it.
func (s *Server) planMedia(x *exchange) error {
	need := mediaNeeds(x.req)
	if len(need) == 0 {
		return nil
	}
	first := ""
	if len(x.chain) > 0 {
		first = x.chain[0]
	}
	chain := s.taking(x.chain, need)
	if len(chain) == 0 && x.routed {
		chain = s.cheapestTaking(x, need)
		x.rule, x.reason = "modality", "the routed model does not take "+need[0]
	}
	if len(chain) == 0 {
		return &openaiapi.FieldError{Param: "messages", Err: apierr.New(apierr.Invalid,
			"no configured model takes %v input (model %q lists no such modality; set modalities: in the catalogue)", need, first)}
	}
	x.chain = chain
	return s.inlineRemote(x)
}

// taking is chain without the models that cannot take need.
func (s *Server) taking(chain, need []string) []string {
	out := make([]string, 0, len(chain))
	for _, name := range chain {
		if s.takes(name, need) {
			out = append(out, name)
		}
	}
	return out
}

// escalationChain is a cascade's strong step's chain, kept to the models
// that take the request's media as planMedia kept the cheap step's: a
// fallback of the strong model may be text-only. When none of them can,
// the cheapest capable model the key may use answers instead.
func (s *Server) escalationChain(x *exchange, chain []string) []string {
	need := mediaNeeds(x.req)
	if len(need) == 0 {
		return chain
	}
	if kept := s.taking(chain, need); len(kept) > 0 {
		return kept
	}
	return s.cheapestTaking(x, need)
}

// inlineRemote replaces remote media URLs with data: URLs when fetching
// is on and a Gemini model may answer: Gemini reads no URLs, and every
// OpenAI-compatible upstream also takes the data: URL.
func (s *Server) inlineRemote(x *exchange) error {
	f := s.fetch
	if f == nil || !slices.ContainsFunc(x.chain, func(n string) bool { return s.cat.Models[n].Provider == "gemini" }) {
		return nil
	}
	for i := range x.req.Messages {
		for j := range x.req.Messages[i].Parts {
			p := &x.req.Messages[i].Parts[j]
			if p.ImageURL == nil || !strings.HasPrefix(p.ImageURL.URL, "https://") {
				continue
			}
			data, err := f.DataURL(x.ctx, p.ImageURL.URL)
			if err != nil {
				// The URL is the client's, so a refused or failing fetch is
				// the client's to fix.
				return &openaiapi.FieldError{Param: fmt.Sprintf("messages[%d].content[%d].image_url.url", i, j),
					Err: apierr.Wrap(apierr.Invalid, err, "%v", err)}
			}
			p.ImageURL = &openaiapi.ImageURL{URL: data, Detail: p.ImageURL.Detail}
		}
	}
	return nil
}

// cheapestTaking is the cheapest model by input price that takes need
// (nil if none); per-key model lists still apply when the call is made.
func (s *Server) cheapestTaking(x *exchange, need []string) []string {
	best := ""
	for _, name := range s.cat.Names() {
		if !s.takes(name, need) {
			continue
		}
		if best == "" || s.cat.Models[name].Price.Input < s.cat.Models[best].Price.Input {
			best = name
		}
	}
	if best == "" {
		return nil
	}
	return []string{best}
}
