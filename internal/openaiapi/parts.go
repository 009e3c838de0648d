package openaiapi

import (
	"encoding/json"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// PartsToProvider converts a multimodal content array to neutral parts.
func PartsToProvider(in []ContentPart) []provider.Part {
	out := make([]provider.Part, len(in))
	for i, p := range in {
		q := provider.Part{Type: p.Type, Text: p.Text}
		switch {
		case p.ImageURL != nil:
			q.URL, q.Detail = p.ImageURL.URL, p.ImageURL.Detail
		case p.InputAudio != nil:
			q.Data, q.Format = p.InputAudio.Data, p.InputAudio.Format
		case p.File != nil:
			q.URL, q.FileID, q.Filename = p.File.FileData, p.File.FileID, p.File.Filename
		}
		out[i] = q
	}
	return out
}

// PartsFromProvider is PartsToProvider's inverse, for OpenAI-compatible
// upstreams, which take the parts as the client sent them.
func PartsFromProvider(in []provider.Part) []ContentPart {
	out := make([]ContentPart, len(in))
	for i, p := range in {
		q := ContentPart{Type: p.Type, Text: p.Text}
		switch p.Type {
		case "image_url":
			q.ImageURL = &ImageURL{URL: p.URL, Detail: p.Detail}
		case "input_audio":
			q.InputAudio = &InputAudio{Data: p.Data, Format: p.Format}
		case "file":
			q.File = &FilePart{FileData: p.URL, FileID: p.FileID, Filename: p.Filename}
		}
		out[i] = q
	}
	return out
}

// HasMedia reports whether any message carries media parts.
func (r *ChatRequest) HasMedia() bool {
	for i := range r.Messages {
		if r.Messages[i].Parts != nil {
			return true
		}
	}
	return false
}

// mediaMessage encodes a message with its content array: the outer
// Content field is shallower than Message's, so encoding/json writes it
// in its place.
type mediaMessage struct {
	Message
	Content any `json:"content"`
}

// marshalWithParts encodes r with each message's Parts as its content.
// Only requests with media take this path; text-only requests keep the
// plain encoding.
func (r *ChatRequest) marshalWithParts() ([]byte, error) {
	type plain ChatRequest
	msgs := make([]mediaMessage, len(r.Messages))
	for i, m := range r.Messages {
		msgs[i].Message = m
		switch {
		case m.Parts != nil:
			msgs[i].Content = textParts(m.Parts)
		case m.Content != nil:
			msgs[i].Content = *m.Content
		}
	}
	return json.Marshal(struct {
		*plain
		Messages []mediaMessage `json:"messages"`
	}{(*plain)(r), msgs})
}

// textParts gives text parts their text field even when it is empty,
// which ContentPart's omitempty would drop.
func textParts(parts []ContentPart) []any {
	out := make([]any, len(parts))
	for i, p := range parts {
		if p.Type == "text" {
			out[i] = struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}{p.Type, p.Text}
			continue
		}
		out[i] = p
	}
	return out
}
