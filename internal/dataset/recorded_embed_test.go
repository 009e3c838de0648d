package dataset

import (
	"strings"
	"testing"
)

func TestRecordedEmbedded(t *testing.T) {
	all, err := Recorded()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, r := range all {
		counts[r.Benchmark]++
		if ids[r.ID] {
			t.Fatalf("duplicate id %s", r.ID)
		}
		ids[r.ID] = true
		if r.Prompt == "" {
			t.Fatalf("%s: empty prompt", r.ID)
		}
		if r.Benchmark == "gsm8k" && (r.CheapCorrect || r.StrongCorrect) && r.Gold == "" {
			t.Errorf("%s: a correct response but no gold", r.ID)
		}
		if r.Benchmark == "gsm8k" && !r.CheapCorrect && !r.StrongCorrect && r.Gold != "" {
			t.Errorf("%s: gold %q with no correct response", r.ID, r.Gold)
		}
	}
	// Sizes documented in ../shared/README.md.
	if counts["mmlu"] != 12063 || counts["gsm8k"] != 1137 {
		t.Fatalf("counts %v, want mmlu 12063 gsm8k 1137", counts)
	}
	if !ids["mmlu-abstract_algebra-0000"] || !ids["gsm8k-0000"] {
		t.Fatal("expected ids missing")
	}
}

func TestRecordedItems(t *testing.T) {
	tests := []struct {
		name, bench string
		want        int
		wantErr     bool
	}{
		{"mmlu", "mmlu", 12063, false},
		{"gsm8k", "gsm8k", 1137, false},
		{"both", "recorded", 13200, false},
		{"unknown", "simpleqa", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := RecordedItems(tc.bench)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if len(items) != tc.want {
				t.Fatalf("got %d items, want %d", len(items), tc.want)
			}
			for _, it := range items {
				if it.Benchmark == "gsm8k" && it.Topic != "gsm8k" {
					t.Fatalf("%s: topic %q", it.ID, it.Topic)
				}
				if it.Benchmark == "mmlu" && !strings.HasPrefix(it.ID, "mmlu-"+it.Topic+"-") {
					t.Fatalf("%s: topic %q does not match id", it.ID, it.Topic)
				}
			}
		})
	}
	g, _ := RecordedItems("gsm8k")
	if g[0].Answer != "18" { // Janet's ducks: 9 eggs × $2
		t.Fatalf("gsm8k-0000 gold %q, want 18", g[0].Answer)
	}
}
