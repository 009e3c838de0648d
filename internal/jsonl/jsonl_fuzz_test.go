package jsonl

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// item is a row shape like a benchmark question's, with a list field.
type item struct {
	ID      string   `json:"id"`
	Problem string   `json:"problem,omitempty"`
	Answer  string   `json:"answer,omitempty"`
	URLs    []string `json:"urls,omitempty"`
}

func FuzzDecodeJSONL(f *testing.F) {
	f.Add("{\"id\":\"a\",\"problem\":\"p\",\"answer\":\"x\"}\n\n{\"id\":\"b\"}\n")
	f.Add("{\"id\":1}\n")
	f.Add("not json\n")
	f.Add("{\"urls\":[\"u\"]}\r\n{}")
	f.Fuzz(func(t *testing.T, s string) {
		items, err := Decode[item](strings.NewReader(s), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl:") {
				t.Fatalf("error does not name file:line: %v", err)
			}
			return
		}
		// What decoded must survive a write/read round trip unchanged.
		var buf bytes.Buffer
		for _, it := range items {
			b, err := jsonMarshalNoEscape(it)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(b)
		}
		again, err := Decode[item](&buf, "again")
		if err != nil || len(again) != len(items) {
			t.Fatalf("round trip: %d items, err %v (had %d)", len(again), err, len(items))
		}
	})
}

func jsonMarshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}
