package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  What's the  Capital of FRANCE?\n", "what s the capital of france"},
		{"Zoë's café, №5!", "zoë s café 5"},
		{"東京 は？", "東京 は"},
		{"???", ""},
		{"a\t\tb", "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := NormalizeText(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func synthItems(perTopic map[string]int) []Item {
	var items []Item
	for _, topic := range []string{"Art", "Geography", "Music", "Science", "Tiny", "Solo"} {
		for i := range perTopic[topic] {
			items = append(items, Item{ID: fmt.Sprintf("%s-%d", topic, i), Problem: fmt.Sprintf("Question %d about %s?", i, topic), Topic: topic})
		}
	}
	return items
}

func TestSplitStratifiedAndDisjoint(t *testing.T) {
	counts := map[string]int{"Art": 100, "Geography": 37, "Music": 10, "Science": 250, "Tiny": 2, "Solo": 1}
	items := synthItems(counts)
	// Duplicates differing only in case and punctuation, plus an exact copy.
	items = append(items,
		Item{ID: "dup-1", Problem: "QUESTION 3 about art", Topic: "Art"},
		Item{ID: "dup-2", Problem: "question 3, about Art!!", Topic: "Music"},
		items[0])
	train, test, dropped := Split(items, 0.8, 42)
	if dropped != 3 {
		t.Fatalf("dropped %d, want 3", dropped)
	}
	if len(train)+len(test) != len(items)-3 {
		t.Fatalf("train %d + test %d != %d", len(train), len(test), len(items)-3)
	}
	seen := map[string]string{}
	for _, it := range train {
		seen[NormalizeText(it.Problem)] = it.ID
	}
	for _, it := range test {
		if id, ok := seen[NormalizeText(it.Problem)]; ok {
			t.Fatalf("%s in test duplicates %s in train", it.ID, id)
		}
	}
	trainBy := map[string]int{}
	for _, it := range train {
		trainBy[it.Topic]++
	}
	want := map[string]int{"Art": 80, "Geography": 30, "Music": 8, "Science": 200, "Tiny": 1, "Solo": 1}
	if !reflect.DeepEqual(trainBy, want) {
		t.Fatalf("train per topic %v, want %v", trainBy, want)
	}
}

func TestSplitDeterministic(t *testing.T) {
	items := synthItems(map[string]int{"Art": 50, "Music": 30})
	a1, b1, _ := Split(items, 0.7, 7)
	a2, b2, _ := Split(items, 0.7, 7)
	if !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(b1, b2) {
		t.Fatal("same seed gave different splits")
	}
	a3, _, _ := Split(items, 0.7, 8)
	if reflect.DeepEqual(a1, a3) {
		t.Fatal("a different seed gave the same split")
	}
	// A topic's split is independent of other topics being present.
	artOnly := synthItems(map[string]int{"Art": 50})
	a4, _, _ := Split(artOnly, 0.7, 7)
	var artFromBoth []Item
	for _, it := range a1 {
		if it.Topic == "Art" {
			artFromBoth = append(artFromBoth, it)
		}
	}
	if !reflect.DeepEqual(a4, artFromBoth) {
		t.Fatal("adding a topic changed another topic's split")
	}
}

func TestSplitRejectsBadRatio(t *testing.T) {
	for _, r := range []float64{0, 1, -0.1, 1.5} {
		if err := ValidateRatio(r); err == nil {
			t.Errorf("ratio %v accepted", r)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Split with ratio 1 did not panic")
		}
	}()
	Split(nil, 1, 1)
}

func TestReadItems(t *testing.T) {
	tests := []struct{ name, body, wantErr string }{
		{"ok", `{"id":"a","problem":"p","answer":""}` + "\n\n" + `{"id":"b","problem":"q","extra":1}`, ""},
		{"empty", "\n \n", "file is empty"},
		{"bad json", `{"id":"a","problem":"p"}` + "\n{oops\n", "in.jsonl:2: invalid JSON"},
		{"no problem", `{"id":"a","problem":"p"}` + "\n" + `{"id":"b","answer":"x"}`, `in.jsonl:2: missing field "problem"`},
		{"no id", `{"problem":"p"}`, `in.jsonl:1: missing field "id"`},
		{"duplicate id", `{"id":"a","problem":"p"}` + "\n" + `{"id":"a","problem":"q"}`, `in.jsonl:2: duplicate id "a" (first on line 1)`},
		{"conversation", `{"id":"a","problem":"p"}` + "\n" + `{"id":"b","problem":"q","messages":[{"role":"user","content":"x"},{"role":"user","content":"q"}]}`, ""},
		{"bad role", `{"id":"a","problem":"p","messages":[{"role":"bot","content":"x"}]}`, `in.jsonl:1: messages[0]: unknown role "bot"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.jsonl")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			items, err := ReadItems(path)
			if tc.wantErr == "" {
				if err != nil || len(items) != 2 {
					t.Fatalf("items %v err %v", items, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestSplitStableKeepsSides: as captured traffic grows, no question moves
// between train and test, and the share of train follows the ratio.
func TestSplitStableKeepsSides(t *testing.T) {
	mk := func(from, to int) []Item {
		var items []Item
		for i := from; i < to; i++ {
			items = append(items, Item{ID: fmt.Sprint("q", i), Problem: fmt.Sprintf("question number %d about the weather?", i), Benchmark: BenchmarkCaptured})
		}
		return items
	}
	side := func(items []Item) map[string]bool {
		train, test, _ := SplitStable(items, 0.8, 42)
		m := map[string]bool{}
		for _, it := range train {
			m[it.ID] = true
		}
		for _, it := range test {
			m[it.ID] = false
		}
		return m
	}
	first := side(mk(0, 1000))
	grown := side(append(mk(0, 1000), mk(1000, 3000)...))
	for id, inTrain := range first {
		if grown[id] != inTrain {
			t.Fatalf("%s moved from train=%v to train=%v when traffic was added", id, inTrain, grown[id])
		}
	}
	n := 0
	for _, inTrain := range grown {
		if inTrain {
			n++
		}
	}
	if share := float64(n) / float64(len(grown)); share < 0.77 || share > 0.83 {
		t.Errorf("train share %.3f, want about 0.8", share)
	}
	// A repeated question (same normalised text) is dropped, whatever its id.
	dup := append(mk(0, 10), Item{ID: "again", Problem: "Question number 3 about the weather", Benchmark: BenchmarkCaptured})
	if train, test, dropped := SplitStable(dup, 0.8, 42); dropped != 1 || len(train)+len(test) != 10 {
		t.Errorf("dropped %d, kept %d; want 1 and 10", dropped, len(train)+len(test))
	}
	// Another seed draws another split.
	a, _, _ := SplitStable(mk(0, 200), 0.8, 42)
	b, _, _ := SplitStable(mk(0, 200), 0.8, 7)
	if fmt.Sprint(a) == fmt.Sprint(b) {
		t.Error("seeds 42 and 7 gave the same split")
	}
}
