package gemini

import (
	"fmt"
	"strings"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// Blob is Gemini's inlineData: base64 bytes and their MIME type.
type Blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

// FetchSetting names the router.yaml setting that lets the gateway fetch
// remote media for Gemini, which takes only inline bytes or its own
// file URIs.
const FetchSetting = "multimodal.fetch_remote"

// mediaParts converts a multimodal user turn. Remote URLs are refused:
// the gateway would have to fetch them, and that is opt-in (see
// FetchSetting).
func mediaParts(i int, in []provider.Part) ([]Part, error) {
	out := make([]Part, 0, len(in))
	for j, p := range in {
		param := fmt.Sprintf("messages[%d].content[%d]", i, j)
		switch p.Type {
		case "text":
			if p.Text != "" {
				out = append(out, Part{Text: p.Text})
			}
		case "image_url":
			b, err := dataURL(param+".image_url.url", p.URL)
			if err != nil {
				return nil, err
			}
			out = append(out, Part{InlineData: b})
		case "input_audio":
			out = append(out, Part{InlineData: &Blob{MimeType: audioMime(p.Format), Data: p.Data}})
		case "file":
			if p.URL == "" {
				return nil, provider.UnsupportedParam(param+".file.file_id", "Gemini cannot read OpenAI file ids; send file_data as a data: URL")
			}
			b, err := dataURL(param+".file.file_data", p.URL)
			if err != nil {
				return nil, err
			}
			out = append(out, Part{InlineData: b})
		default:
			return nil, provider.UnsupportedParam(param+".type", "content part type %q is not supported", p.Type)
		}
	}
	return out, nil
}

// dataURL splits a base64 data: URL into a Blob.
func dataURL(param, u string) (*Blob, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return nil, provider.UnsupportedParam(param, "remote URLs are not fetched for Gemini models unless %s is true in router.yaml; send a data: URL", FetchSetting)
	}
	meta, data, ok := strings.Cut(rest, ",")
	mime, isB64 := strings.CutSuffix(meta, ";base64")
	if !ok || !isB64 || mime == "" {
		return nil, provider.UnsupportedParam(param, "must be a base64 data: URL with a MIME type (data:<type>;base64,<data>)")
	}
	return &Blob{MimeType: mime, Data: data}, nil
}

// audioMime maps input_audio's format to a MIME type Gemini accepts.
func audioMime(format string) string {
	switch format {
	case "mp3":
		return "audio/mp3"
	case "wav":
		return "audio/wav"
	}
	return "audio/" + format
}
