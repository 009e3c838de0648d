package main

import (
	"math"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"strings"
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"sub-10µs", dur(3150 * time.Nanosecond), "3.15 µs"},
		{"µs", dur(28400 * time.Nanosecond), "28.4 µs"},
		{"ms", dur(1480 * time.Microsecond), "1.48 ms"},
		{"s", dur(2500 * time.Millisecond), "2.50 s"},
		{"NaN float", f(math.NaN(), 2), "n/a"},
		{"percent", pct(0.1234), "12.3%"},
		{"big ratio", ratio(1759.4), "1759×"},
		{"ratio", ratio(1.5), "1.50×"},
		{"missed target is bold", met(false), "**no**"},
		{"anchor", anchor("1. Router decision latency"), "1-router-decision-latency"},
		{"anchor keeps non-ASCII", anchor("5. Cost–quality"), "5-cost–quality"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestMarkdownTableEscapesPipesAndPadsRows(t *testing.T) {
	var b strings.Builder
	Table{Header: []string{"a", "b"}, Rows: [][]string{{"x|y"}}}.writeMarkdown(&b)
	want := "| a | b |\n| --- | --- |\n| x\\|y |  |\n\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

func TestWordQueries(t *testing.T) {
	items := []dataset.Item{{Problem: "one two three four five six seven"}, {Problem: "eight nine ten"}}
	for _, tc := range []struct {
		name     string
		items    []dataset.Item
		words, n int
	}{{"from items", items, 4, 3}, {"longer than the text", items, 25, 5}, {"no items", nil, 10, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			qs := wordQueries(tc.items, tc.words, tc.n)
			if len(qs) != tc.n {
				t.Fatalf("%d queries, want %d", len(qs), tc.n)
			}
			for _, q := range qs {
				if got := len(strings.Fields(q)); got != tc.words {
					t.Fatalf("query %q has %d words, want %d", q, got, tc.words)
				}
			}
		})
	}
}

// TestMergeMarkdown: -merge replaces a section by title, inserts a new one
// in report order, renumbers, and keeps everything else byte for byte.
func TestMergeMarkdown(t *testing.T) {
	old := &Report{Mode: "full", Sections: []*Section{
		{Title: sectionTitles["latency"], Intro: "latency intro"},
		{Title: sectionTitles["gateway"], Intro: "old gateway"},
		{Title: sectionTitles["quality"], Intro: "quality intro"},
	}}
	var b strings.Builder
	if err := old.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	rep := &Report{Mode: "full", Machine: Machine{Commit: "abc"}, Sections: []*Section{
		{Title: sectionTitles["gateway"], Intro: "new gateway"},
		{Title: sectionTitles["cascade"], Intro: "cascade intro"},
	}}
	got, err := mergeMarkdown(b.String(), rep, []string{"gateway", "cascade"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## 1. Router decision latency\n\nlatency intro\n\n## 2. Gateway overhead\n\n_Measured on its own by `go run ./bench -sections gateway,cascade -merge`",
		"new gateway\n\n## 3. Cascade routing overhead\n\n_Measured",
		"cascade intro\n\n## 4. Routing quality\n\nquality intro\n",
		"3. [Cascade routing overhead](#3-cascade-routing-overhead)\n4. [Routing quality](#4-routing-quality)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("merged report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old gateway") || !strings.HasPrefix(got, b.String()[:strings.Index(b.String(), "## Contents")]) {
		t.Errorf("merged report:\n%s", got)
	}
	if _, err := mergeMarkdown("# something else\n", rep, nil); err == nil {
		t.Error("merged into a file that is not a report")
	}
}
