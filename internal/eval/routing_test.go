package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
)

// scoreRouter scores a query by a fixed table.
type scoreRouter struct {
	name   string
	scores map[string]float64
}

func (s scoreRouter) Name() string { return s.name }
func (s scoreRouter) Route(_ context.Context, q string) (router.Decision, error) {
	v, ok := s.scores[q]
	if !ok {
		return router.Decision{}, errors.New("unknown query")
	}
	pol := policy.Standard
	if v >= 0.95 {
		pol = policy.Complex
	}
	return router.Decision{Policy: pol, Score: v}, nil
}

func TestRouteRows(t *testing.T) {
	ctx := context.Background()
	rows := []oracle.Row{{ID: "1", Query: "a"}, {ID: "2", Query: "b"}, {ID: "3", Query: "c"}}
	r := scoreRouter{"fixed", map[string]float64{"a": 0.9, "b": 0.5, "c": 0.1}}
	runs, err := RouteRows(ctx, []Contender{{Router: r, Threshold: 0.5}}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := runs[0].Strong; !got[0] || !got[1] || got[2] {
		t.Errorf("decisions %v, want strong iff score >= 0.5", got)
	}
	if runs[0].Name != "fixed" || runs[0].Threshold != 0.5 || runs[0].Scores[1] != 0.5 {
		t.Errorf("run %+v", runs[0])
	}
	rows = append(rows, oracle.Row{ID: "4", Query: "zzz"})
	if _, err := RouteRows(ctx, []Contender{{Router: r, Threshold: 0.5}}, rows); err == nil || !strings.Contains(err.Error(), "question 4") {
		t.Errorf("err = %v, want one naming the question", err)
	}
	// A matched router takes the first router's realised share (2 of 3):
	// its two highest scores go strong, whatever its own threshold says.
	other := scoreRouter{"other", map[string]float64{"a": 0.2, "b": 0.1, "c": 0.3}}
	runs, err = RouteRows(ctx, []Contender{{Router: r, Threshold: 0.5}, {Router: other, Threshold: 0.9, Matched: true}}, rows[:3])
	if err != nil {
		t.Fatal(err)
	}
	if got := runs[1].Strong; !got[0] || got[1] || !got[2] || runs[1].Threshold != 0.2 {
		t.Errorf("matched decisions %v at threshold %v, want [true false true] at 0.2", got, runs[1].Threshold)
	}
	if runs[1].Policies[0] != policy.Complex || runs[1].Policies[1] != policy.Standard {
		t.Errorf("matched policies %v", runs[1].Policies)
	}
	// An unmatched second router keeps its own threshold.
	runs, err = RouteRows(ctx, []Contender{{Router: r, Threshold: 0.5}, {Router: other, Threshold: 0.25}}, rows[:3])
	if err != nil {
		t.Fatal(err)
	}
	if got := runs[1].Strong; got[0] || got[1] || !got[2] || runs[1].Threshold != 0.25 {
		t.Errorf("unmatched decisions %v at threshold %v", got, runs[1].Threshold)
	}
	nan := scoreRouter{"nan", map[string]float64{"a": math.NaN()}}
	if _, err := RouteRows(ctx, []Contender{{Router: nan, Threshold: 0.5}}, rows[:1]); err == nil {
		t.Error("NaN score accepted")
	}
}

// A Complex decision below the operating threshold is not Complex any more.
func TestRouteRowsRelabelsBelowThreshold(t *testing.T) {
	rows := []oracle.Row{{ID: "1", Query: "a"}}
	r := scoreRouter{"fixed", map[string]float64{"a": 0.96}}
	runs, err := RouteRows(context.Background(), []Contender{{Router: r, Threshold: 0.99}}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Strong[0] || runs[0].Policies[0] != policy.Standard {
		t.Errorf("decision %v, policy %s", runs[0].Strong[0], runs[0].Policies[0])
	}
}

// Enough rows for several workers: every decision lands at its own row.
func TestDecideAllKeepsOrder(t *testing.T) {
	const n = 1000
	rows := make([]oracle.Row, n)
	scores := make(map[string]float64, n)
	for i := range rows {
		q := fmt.Sprint("q", i)
		rows[i] = oracle.Row{ID: fmt.Sprint(i), Query: q}
		scores[q] = float64(i) / n
	}
	ds, err := decideAll(context.Background(), scoreRouter{"fixed", scores}, rows)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		if d.Score != float64(i)/n {
			t.Fatalf("row %d has score %v", i, d.Score)
		}
	}
}
