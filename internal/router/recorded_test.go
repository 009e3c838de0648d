package router

import (
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// recordedSplit is the embedded recorded MMLU benchmark as training rows:
// a seeded, subject-stratified 80/20 split, training rows built the way
// prepare builds them (the default oracle matrix), and the test split's
// recorded outcomes for measuring.
type recordedSplit struct {
	sft           []trl.SFTRow
	dpo           []trl.DPORow
	test          []dataset.RecordedItem
	cheap, strong []float64 // test outcomes
}

var loadRecorded = sync.OnceValues(func() (*recordedSplit, error) {
	all, err := dataset.Recorded()
	if err != nil {
		return nil, err
	}
	bySubject := map[string][]dataset.RecordedItem{}
	for _, r := range all {
		if r.Benchmark == "mmlu" {
			bySubject[r.Subject] = append(bySubject[r.Subject], r)
		}
	}
	subjects := make([]string, 0, len(bySubject))
	for s := range bySubject {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	rng := rand.New(rand.NewPCG(2024, 7))
	out := &recordedSplit{}
	matrix := oracle.DefaultMatrix()
	for _, s := range subjects {
		items := bySubject[s]
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		nTest := len(items) / 5
		for i, r := range items {
			if i < nTest {
				out.test = append(out.test, r)
				out.cheap = append(out.cheap, b2f(r.CheapCorrect))
				out.strong = append(out.strong, b2f(r.StrongCorrect))
				continue
			}
			cell := grade.Cell(gradeOf(r.CheapCorrect), gradeOf(r.StrongCorrect))
			d, err := matrix.Cell(cell)
			if err != nil {
				return nil, err
			}
			out.sft = append(out.sft, trl.SFTRow{
				Prompt: trl.Prompt(r.Prompt), Completion: trl.Completion(d.Policy),
				ID: r.ID, Query: r.Prompt, Policy: d.Policy, Cell: cell, Topic: s,
			})
			if d.Prefer != nil {
				out.dpo = append(out.dpo, trl.DPORow{
					Prompt: trl.Prompt(r.Prompt), Chosen: trl.Completion(d.Prefer.Chosen),
					Rejected: trl.Completion(d.Prefer.Rejected), ID: r.ID, Query: r.Prompt, Cell: cell,
				})
			}
		}
	}
	return out, nil
})

func mustRecorded(tb testing.TB) *recordedSplit {
	tb.Helper()
	d, err := loadRecorded()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func gradeOf(ok bool) string {
	if ok {
		return grade.Correct
	}
	return grade.Incorrect
}

func b2f(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}
