package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadRouteInputs(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []routeInput // File is filled in by the test
		wantErr          []string     // substrings of the error; "@" is the file
	}{
		{name: "query and cheap answer", file: "a.jsonl",
			text: `{"query":"What is 2+2?","cheap_answer":"4"}` + "\n" + `{"query":"Name a planet."}` + "\n",
			want: []routeInput{{Query: "What is 2+2?", CheapAnswer: "4", HasAnswer: true, Line: 1}, {Query: "Name a planet.", Line: 2}}},
		{name: "problem, prompt, multi-line answer", file: "a.ndjson",
			text: `{"problem":"p1","cheap_answer":"step\n#### 3"}` + "\n\n" + `{"prompt":"p2","cheap_answer":null}` + "\n",
			want: []routeInput{{Query: "p1", CheapAnswer: "step\n#### 3", HasAnswer: true, Line: 1}, {Query: "p2", Line: 3}}},
		{name: "empty answer is an answer", file: "a.jsonl",
			text: `{"query":"q","cheap_answer":""}`,
			want: []routeInput{{Query: "q", HasAnswer: true, Line: 1}}},
		{name: "query wins over an SFT prompt", file: "sft.jsonl",
			text: `{"prompt":"You are a query router...","query":"q","policy":"Standard_Query","cheap_answer":"a"}`,
			want: []routeInput{{Query: "q", CheapAnswer: "a", HasAnswer: true, Line: 1}}},
		{name: "plain text carries no answers", file: "a.txt",
			text: "first query\n\n  second query  \n",
			want: []routeInput{{Query: "first query"}, {Query: "second query"}}},
		{name: "answer of the wrong type", file: "a.jsonl",
			text:    `{"query":"q"}` + "\n" + `{"query":"q","cheap_answer":42}` + "\n",
			wantErr: []string{"@:2:", "cheap_answer", "invalid JSON object"}},
		{name: "answer without a query", file: "a.jsonl",
			text:    `{"query":"q"}` + "\n\n" + `{"cheap_answer":"4"}` + "\n",
			wantErr: []string{"@:3:", `no non-empty "query"`}},
		{name: "truncated object", file: "a.jsonl",
			text:    `{"query":"q","cheap_answer":"4"`,
			wantErr: []string{"@:1:", "invalid JSON object"}},
		{name: "not an object", file: "a.jsonl",
			text:    `["q","4"]`,
			wantErr: []string{"@:1:", "invalid JSON object"}},
		{name: "invalid UTF-8 in an answer", file: "a.jsonl",
			text:    `{"query":"q","cheap_answer":"caf` + "\xc3" + `"}`,
			wantErr: []string{"@:1:", "UTF-8"}},
		{name: "empty file", file: "a.jsonl", text: "\n\n", wantErr: []string{"@", "no queries"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readRouteInputs(path)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				for _, w := range tc.wantErr {
					if w = strings.ReplaceAll(w, "@", path); !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				tc.want[i].File = path
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRouteInputWhere(t *testing.T) {
	for _, tc := range []struct {
		in   routeInput
		want string
	}{
		{routeInput{File: "q.jsonl", Line: 7}, "q.jsonl:7"},
		{routeInput{File: "q.txt"}, "q.txt"},
		{routeInput{}, "--cheap-answer"},
	} {
		if got := tc.in.where(); got != tc.want {
			t.Errorf("%+v.where() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
