package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/catalog"
)

// batchFigure is what cmd/llmrouter's TestOracleBatchCostFigure logs:
// the oracle_summary.json costs of one online and one --batch run.
type batchFigure struct {
	queries             int
	online, onlineJudge float64
	batch, batchJudge   float64
	jobs                int
}

// batchFigureLine matches the test's t.Logf line.
var batchFigureLine = regexp.MustCompile(`(\d+) captured queries, pairwise judge: online total \$([0-9.]+) \(judge \$([0-9.]+)\), --batch total \$([0-9.]+) \(judge \$([0-9.]+)\), ratio ([0-9.]+); (\d+) batch jobs`)

// parseBatchFigure finds the figure line in the test's -test.v output.
func parseBatchFigure(out string) (batchFigure, error) {
	m := batchFigureLine.FindStringSubmatch(out)
	if m == nil {
		return batchFigure{}, fmt.Errorf("TestOracleBatchCostFigure output has no line %q: %s", "N captured queries, pairwise judge: online total $… ratio …; N batch jobs", tailLines(out, 3))
	}
	var fig batchFigure
	var err error
	num := func(s string) float64 {
		v, e := strconv.ParseFloat(s, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("TestOracleBatchCostFigure figure %q: %w", s, e)
		}
		return v
	}
	fig.queries = int(num(m[1]))
	fig.online, fig.onlineJudge, fig.batch, fig.batchJudge = num(m[2]), num(m[3]), num(m[4]), num(m[5])
	fig.jobs = int(num(m[7]))
	if err != nil {
		return batchFigure{}, err
	}
	if fig.queries <= 0 || fig.online <= 0 {
		return batchFigure{}, fmt.Errorf("TestOracleBatchCostFigure: %d queries costing $%g online: nothing was labelled", fig.queries, fig.online)
	}
	return fig, nil
}

// batchModels are the models the test labels with: Flash and Pro answer,
// Pro judges (the oracle's default judge for captured queries).
var batchModels = []struct{ name, role string }{
	{"gemini-2.5-flash", "cheap answers"}, {"gemini-2.5-pro", "strong answers, pairwise judge"},
}

// batchSection labels captured queries with the pairwise judge online and
// with --batch (cmd/llmrouter's TestOracleBatchCostFigure: the real
// oracle command against the fake Gemini API and batch API) and compares
// the costs oracle_summary.json reports, at the built-in catalogue's
// prices.
func (b *bench) batchSection(ctx context.Context) (*Section, error) {
	n := b.size(1000, 30)
	s := &Section{Title: sectionTitles["batch"],
		Intro: fmt.Sprintf("What labelling %d captured queries costs with `llmrouter oracle --judge pairwise`, online and with `--batch`, from cmd/llmrouter's `TestOracleBatchCostFigure`: the real command, run twice against the fake Gemini API (online) and the fake Gemini batch API, "+
			"whose answers have the sizes of real ones (Flash ~150 words after ~300 thinking tokens, Pro ~250 after ~900, the judge ~400 thinking tokens and one letter). "+
			"Per query: two answers and two judge calls. The costs are oracle_summary.json's, at the built-in catalogue's prices; the test also checks that both runs give every query the same labels and that the online run made 4 calls per query. "+
			"A cost is computed, not timed, so one run is exact; the baseline is the online run.", n)}
	bin, dir, err := b.testBinary(ctx, "./cmd/llmrouter")
	if err != nil {
		return nil, err
	}
	out, err := runTest(ctx, bin, dir, []string{fmt.Sprintf("LLMROUTER_BATCH_FIGURE_N=%d", n)},
		"-test.run", "^TestOracleBatchCostFigure$", "-test.v", "-test.count", "1")
	if err != nil {
		return nil, err
	}
	fig, err := parseBatchFigure(out)
	if err != nil {
		return nil, err
	}
	if fig.queries != n {
		return nil, fmt.Errorf("TestOracleBatchCostFigure labelled %d queries, want %d (LLMROUTER_BATCH_FIGURE_N)", fig.queries, n)
	}
	t := Table{Caption: fmt.Sprintf("%d captured queries, pairwise judge; the ratio divides by the online run.", n),
		Header: []string{"run", "total", "answers", "judge", "per 1,000 queries", "× online", "batch jobs"}}
	per := func(usd float64) string { return fmt.Sprintf("$%.2f", usd*1000/float64(n)) }
	t.add("online (baseline)", fmt.Sprintf("$%.2f", fig.online), fmt.Sprintf("$%.2f", fig.online-fig.onlineJudge), fmt.Sprintf("$%.2f", fig.onlineJudge), per(fig.online), "1.00×", "—")
	t.add("`--batch`", fmt.Sprintf("$%.2f", fig.batch), fmt.Sprintf("$%.2f", fig.batch-fig.batchJudge), fmt.Sprintf("$%.2f", fig.batchJudge), per(fig.batch), f(fig.batch/fig.online, 3)+"×", fmt.Sprint(fig.jobs))
	s.Tables = append(s.Tables, t)
	prices, err := batchPriceTable()
	if err != nil {
		return nil, err
	}
	s.Tables = append(s.Tables, prices)
	s.note("Command: `LLMROUTER_BATCH_FIGURE_N=%d go test -run '^TestOracleBatchCostFigure$' -v ./cmd/llmrouter/`.", n)
	s.note("The ratio is the catalogue's `batch_discount` when every call goes through the batch API, as here; README's worked example (\"Cost\", under the pairwise judge) gives the formula for other answer sizes.")
	return s, nil
}

// batchPriceTable lists the built-in prices the figure is computed at.
func batchPriceTable() (Table, error) {
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		return Table{}, fmt.Errorf("built-in catalogue: %w", err)
	}
	t := Table{Caption: "Prices from the built-in catalogue (USD per 1M tokens; output includes thinking).",
		Header: []string{"model", "role", "input", "output", "batch_discount"}}
	for _, m := range batchModels {
		mod, err := cat.Lookup(m.name)
		if err != nil {
			return Table{}, fmt.Errorf("built-in catalogue: %w", err)
		}
		t.add(m.name, m.role, fmt.Sprintf("$%.2f", mod.Price.Input), fmt.Sprintf("$%.2f", mod.Price.Output), f(mod.BatchDiscount, 2))
	}
	return t, nil
}
