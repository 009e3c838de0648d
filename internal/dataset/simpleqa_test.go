package dataset

import (
	"strings"
	"testing"
)

func TestEmbeddedSimpleQA(t *testing.T) {
	items, err := EmbeddedSimpleQA()
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 4326 {
		t.Fatalf("got %d items, want 4326", len(items))
	}
	first := items[0]
	if first.ID != "simpleqa-0000" || first.Answer != "Michio Sugeno" || first.Topic != "Science and technology" ||
		first.AnswerType != "Person" || len(first.URLs) != 4 || first.Benchmark != "simpleqa" {
		t.Fatalf("first item = %+v", first)
	}
	topics := map[string]int{}
	for _, it := range items {
		if it.Topic == "" || it.AnswerType == "" {
			t.Fatalf("%s: missing topic or answer type", it.ID)
		}
		topics[it.Topic]++
	}
	if len(topics) < 5 {
		t.Fatalf("only %d topics", len(topics))
	}
}

func TestLoadSimpleQACSVErrors(t *testing.T) {
	tests := []struct {
		name, csv, wantErr string
	}{
		{"empty", "", "t.csv: empty file"},
		{"missing column", "metadata,problem\n\"{}\",q\n", `t.csv:1: missing column "answer"`},
		{"no rows", "metadata,problem,answer\n", "t.csv: no rows"},
		{"empty problem", "metadata,problem,answer\n\"{}\",q,a\n\"{}\", ,a\n", "t.csv:3: empty problem"},
		{"bad metadata", "metadata,problem,answer\n\"{'topic': 'x'\",q,a\n", "t.csv:2: metadata: python literal"},
		{"metadata not dict", "metadata,problem,answer\n\"['a']\",q,a\n", "t.csv:2: metadata: want a dict"},
		{"topic not string", "metadata,problem,answer\n\"{'topic': 3}\",q,a\n", "t.csv:2: metadata: topic: want a string"},
		{"url not string", "metadata,problem,answer\n\"{'urls': [None]}\",q,a\n", "t.csv:2: metadata: urls[0]"},
		{"bad quoting", "metadata,problem,answer\n\"{}\",\"q,a\n", "t.csv:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSimpleQACSV(strings.NewReader(tc.csv), "t.csv")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadSimpleQACSVColumnsAnyOrder(t *testing.T) {
	in := "answer,problem,metadata,extra\n" +
		"Paris,Capital of France?,\"{\"\"topic\"\": 'Geography', 'answer_type': 'Place', 'urls': ()}\",x\n" +
		"4,2+2?,,y\n"
	items, err := LoadSimpleQACSV(strings.NewReader(in), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Topic != "Geography" || items[0].AnswerType != "Place" ||
		items[0].Answer != "Paris" || items[1].ID != "simpleqa-0001" || items[1].Topic != "" {
		t.Fatalf("items = %+v", items)
	}
}

func FuzzLoadSimpleQACSV(f *testing.F) {
	f.Add("metadata,problem,answer\n\"{'topic': 'Art', 'answer_type': 'Person', 'urls': ['https://x']}\",Who?,Me\n")
	f.Add("answer,problem,metadata\nx,y,\n")
	f.Add("metadata,problem,answer\n\"{'topic\",q,a\n")
	f.Fuzz(func(t *testing.T, s string) {
		items, err := LoadSimpleQACSV(strings.NewReader(s), "f.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, it := range items {
			if strings.TrimSpace(it.Problem) == "" || strings.TrimSpace(it.Answer) == "" || it.Benchmark != "simpleqa" {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}

func TestDataNotice(t *testing.T) {
	n := DataNotice()
	for _, want := range []string{"Copyright (c) 2024 OpenAI", "Apache License", "Version 2.0", "lm-sys/RouteLLM", SimpleQAURL} {
		if !strings.Contains(n, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
}
