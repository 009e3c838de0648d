package openai

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

func TestEmbedModel(t *testing.T) {
	tests := []struct {
		name  string
		reply pt.Reply
		want  [][]float32
		code  apierr.Code
	}{
		{"out of order indices", pt.Reply{Body: []byte(`{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-0.5]},{"object":"embedding","index":0,"embedding":[0.25,0.75]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":4,"total_tokens":4}}`)},
			[][]float32{{0.25, 0.75}, {0.5, -0.5}}, ""},
		{"missing one", pt.Reply{Body: []byte(`{"data":[{"index":0,"embedding":[1]}]}`)}, nil, apierr.UpstreamUnavailable},
		{"401", pt.Reply{Status: 401, Body: pt.MustRead(t, "testdata/errors/401_invalid_api_key.json")}, nil, apierr.UpstreamRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, tc.reply)
			got, err := newClient(u, nil).EmbedModel(context.Background(), "text-embedding-3-small", []string{"a", "b"})
			if tc.code != "" {
				if apierr.CodeOf(err) != tc.code {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0][0] != tc.want[0][0] || got[1][1] != tc.want[1][1] {
				t.Fatalf("got %v", got)
			}
			var body map[string]any
			_ = json.Unmarshal(u.Request(0).Body, &body)
			if u.Request(0).Path != "/v1/embeddings" || body["model"] != "text-embedding-3-small" || !strings.Contains(string(u.Request(0).Body), `"input":["a","b"]`) {
				t.Errorf("request %s %s", u.Request(0).Path, u.Request(0).Body)
			}
		})
	}
}

func TestEmbedBatches(t *testing.T) {
	// 150 inputs -> two calls of 100 and 50.
	var data strings.Builder
	data.WriteString(`{"data":[`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			data.WriteString(",")
		}
		data.WriteString(`{"index":` + itoa(i) + `,"embedding":[1]}`)
	}
	data.WriteString(`]}`)
	var half strings.Builder
	half.WriteString(`{"data":[`)
	for i := 0; i < 50; i++ {
		if i > 0 {
			half.WriteString(",")
		}
		half.WriteString(`{"index":` + itoa(i) + `,"embedding":[2]}`)
	}
	half.WriteString(`]}`)
	u := pt.NewUpstream(t, pt.Reply{Body: []byte(data.String())}, pt.Reply{Body: []byte(half.String())})
	texts := make([]string, 150)
	got, err := newClient(u, nil).EmbedModel(context.Background(), "m", texts)
	if err != nil || len(got) != 150 || got[99][0] != 1 || got[100][0] != 2 || u.Calls() != 2 {
		t.Fatalf("len %d err %v calls %d", len(got), err, u.Calls())
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
