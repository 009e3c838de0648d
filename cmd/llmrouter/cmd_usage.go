package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
)

// usageReport is the --json output.
type usageReport struct {
	DB     string                 `json:"db"`
	Since  string                 `json:"since,omitempty"`
	Until  string                 `json:"until,omitempty"`
	Key    string                 `json:"key,omitempty"`
	Model  string                 `json:"model,omitempty"`
	Groups map[string][]spend.Row `json:"groups"`
	Total  spend.Row              `json:"total"`
	// Cascade counts router-cascade requests by outcome, when there were any.
	Cascade map[string]int64 `json:"cascade_outcomes,omitempty"`
	// BaselineModel is the configured baseline (with --config).
	BaselineModel string `json:"baseline_model,omitempty"`
	BaselineNote  string `json:"baseline_note"`
	// Rounded: a bound fell before the pruned raw records and was widened
	// to whole UTC days (RawSince is where raw records start).
	Rounded  bool       `json:"rounded,omitempty"`
	RawSince *time.Time `json:"raw_since,omitempty"`
}

// usageStore is what usage reads: any spend store with reports.
type usageStore interface {
	spend.Reporter
	Close() error
}

// runUsage prints recorded requests, tokens, cost and the estimated
// savings against the baseline model from the gateway's spend store,
// grouped by model, policy, key, day and/or cascade outcome, with each
// group's share of the requests.
func runUsage(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "usage", "[--db ./data/spend.db | --config router.yaml] [--by model|policy|key|day|cascade] [--since 2026-01-01] [--until 2026-02-01] [--key ID] [--model NAME] [--json]")
	db := fs.String("db", "./data/spend.db", "SQLite spend database written by 'llmrouter serve'")
	cfgPath := fs.String("config", "", "read the spend store the gateway config names (SQLite or PostgreSQL) instead of --db")
	by := fs.String("by", "", "one grouping: model, policy, key, day or cascade (default: all, cascade only if the window has cascade requests)")
	since := fs.String("since", "", "only requests at or after this UTC date (YYYY-MM-DD) or RFC 3339 time")
	until := fs.String("until", "", "only requests before this UTC date (YYYY-MM-DD) or RFC 3339 time")
	key := fs.String("key", "", "only this key id's requests")
	model := fs.String("model", "", "only requests answered by this model")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	groupings, all := spend.Groupings, *by == ""
	if !all {
		g, err := spend.ParseGroupBy(*by)
		if err != nil || g == spend.ByHour || g == spend.ByTotal {
			return fmt.Errorf("%w: --by: unknown grouping %q (one of model, policy, key, day, cascade)", errUsage, *by)
		}
		groupings = []spend.GroupBy{g}
	}
	q := spend.Query{KeyID: *key, Model: *model}
	var err error
	if q.From, err = parseWhen("--since", *since); err != nil {
		return err
	}
	if q.To, err = parseWhen("--until", *until); err != nil {
		return err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return fmt.Errorf("%w: --since %s is not before --until %s", errUsage, *since, *until)
	}
	if *cfgPath != "" && trainFlagGiven(fs, "db") {
		return fmt.Errorf("%w: --db and --config name two stores; give one", errUsage)
	}
	store, name, baseline, err := openUsageStore(ctx, env, *db, *cfgPath)
	if err != nil {
		return err
	}
	defer store.Close()
	rep := usageReport{DB: name, Since: *since, Until: *until, Key: *key, Model: *model, Groups: map[string][]spend.Row{},
		BaselineModel: baseline, BaselineNote: server.BaselineNote}
	if err := rep.fill(ctx, store, q, groupings); err != nil {
		return err
	}
	if all && rep.Cascade == nil {
		// Most gateways never serve router-cascade: no table of one empty row.
		delete(rep.Groups, string(spend.ByCascade))
		groupings = groupings[:len(groupings)-1]
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printUsage(env.Stdout, rep, groupings)
}

// openUsageStore opens --config's store, or the SQLite file --db; it
// returns the store, how to name it (never with a password) and the
// configured baseline model ("" without --config).
func openUsageStore(ctx context.Context, env *Env, db, cfgPath string) (usageStore, string, string, error) {
	if cfgPath == "" {
		st, err := sqlite.Open(ctx, db, sqlite.Options{MustExist: true, Logger: env.Log})
		return st, db, "", err
	}
	cfg, err := server.LoadConfig(cfgPath)
	if err != nil {
		return nil, "", "", err
	}
	st, name, err := server.OpenReader(ctx, cfg, env.Getenv, env.Log)
	if err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", cfgPath, err)
	}
	return st, name, cfg.BaselineModel(), nil
}

// fill runs one report per grouping; every grouping covers the same
// records, so the total is the first one's sum.
func (rep *usageReport) fill(ctx context.Context, store spend.Reporter, q spend.Query, groupings []spend.GroupBy) error {
	for _, g := range groupings {
		q.GroupBy = g
		r, err := store.Report(ctx, q)
		if err != nil {
			return err
		}
		rep.Groups[string(g)] = r.Rows
		if r.Rounded {
			rep.Rounded = true
		}
		if !r.RawSince.IsZero() {
			rs := r.RawSince
			rep.RawSince = &rs
		}
	}
	rep.Total = spend.Sum("TOTAL", rep.Groups[string(groupings[0])])
	rep.Cascade = cascadeOutcomes(rep.Groups[string(spend.ByCascade)])
	return nil
}

// parseWhen accepts a UTC date or an RFC 3339 time; "" is an open bound.
func parseWhen(flagName, s string) (time.Time, error) {
	if t, ok := spend.ParseBound(s); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: want a date like 2026-01-01 or an RFC 3339 time", errUsage, flagName, s)
}

// cascadeOutcomes counts requests by cascade outcome; nil when there were
// no cascade requests.
func cascadeOutcomes(rows []spend.Row) map[string]int64 {
	var out map[string]int64
	for _, r := range rows {
		if r.Group == "" || r.Requests == 0 {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[r.Group] = r.Requests
	}
	return out
}

func printUsage(w io.Writer, rep usageReport, groupings []spend.GroupBy) error {
	fmt.Fprintf(w, "Spend recorded in %s (%s)\n", rep.DB, rep.window())
	if rep.Total.Requests == 0 {
		fmt.Fprintln(w, "\nno requests recorded in this window")
		return nil
	}
	t := rep.Total
	share := 0.0
	if t.BaselineCostUSD > 0 {
		share = 100 * t.SavingsUSD / t.BaselineCostUSD
	}
	on := "the baseline model"
	if rep.BaselineModel != "" {
		on = rep.BaselineModel
	}
	fmt.Fprintf(w, "\n  cost                %12s\n", money(t.CostUSD))
	fmt.Fprintf(w, "  baseline (estimate) %12s  every request's tokens at %s's prices\n", money(t.BaselineCostUSD), on)
	fmt.Fprintf(w, "  saved (estimate)    %12s  %.1f%% of the baseline\n", money(t.SavingsUSD), share)
	if rep.Rounded && rep.RawSince != nil {
		fmt.Fprintf(w, "Raw records before %s are pruned: bounds before it were widened to whole UTC days.\n", rep.RawSince.Format("2006-01-02"))
	}
	for _, g := range groupings {
		if err := printTable(w, g, rep.Groups[string(g)], rep.Total); err != nil {
			return err
		}
		if g == spend.ByCascade {
			printCascade(w, rep.Cascade)
		}
	}
	fmt.Fprintln(w)
	wrap(w, "SHARE is each group's share of the requests. BASELINE EST.: "+rep.BaselineNote, 100)
	return nil
}

// wrap prints text in lines of at most width bytes, broken at spaces.
func wrap(w io.Writer, text string, width int) {
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		fmt.Fprintln(w, line)
	}
}

func (rep usageReport) window() string {
	w := "all time"
	switch {
	case rep.Since != "" && rep.Until != "":
		w = "from " + rep.Since + " until " + rep.Until
	case rep.Since != "":
		w = "since " + rep.Since
	case rep.Until != "":
		w = "until " + rep.Until
	}
	if rep.Key != "" {
		w += ", key " + rep.Key
	}
	if rep.Model != "" {
		w += ", model " + rep.Model
	}
	return w
}

// printTable prints one grouping with its total row.
func printTable(w io.Writer, g spend.GroupBy, groupRows []spend.Row, total spend.Row) error {
	fmt.Fprintf(w, "\nBy %s:\n", g)
	rows := append(append([]spend.Row{}, groupRows...), total)
	// Numbers align right; padding every name to one width keeps the
	// first column left-aligned under tabwriter.AlignRight.
	width := len(g)
	for i := range rows {
		if rows[i].Group == "" {
			rows[i].Group = noGroup(g)
		}
		width = max(width, len(rows[i].Group))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tREQUESTS\tSHARE\tERRORS\tINPUT TOK\tOUTPUT TOK\tTHINKING TOK\tCOST USD\tBASELINE EST.\tSAVED EST.\t\n", width, strings.ToUpper(string(g)))
	for _, r := range rows {
		share := 0.0
		if total.Requests > 0 {
			share = 100 * float64(r.Requests) / float64(total.Requests)
		}
		fmt.Fprintf(tw, "%-*s\t%d\t%.1f%%\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", width, r.Group, r.Requests, share, r.Errors,
			r.InputTokens, r.OutputTokens, r.ThinkingTokens, money(r.CostUSD), money(r.BaselineCostUSD), money(r.SavingsUSD))
	}
	return tw.Flush()
}

func noGroup(g spend.GroupBy) string {
	switch g {
	case spend.ByCascade:
		return "(no cascade)"
	case spend.ByPolicy:
		return "(not routed)"
	}
	return "(none)"
}

// printCascade says how often router-cascade kept the cheap answer. An
// escalated request's two calls are one request in its row; its tokens
// and cost are both calls'.
func printCascade(w io.Writer, by map[string]int64) {
	var n int64
	for _, c := range by {
		n += c
	}
	if n == 0 {
		return
	}
	share := func(o string) string { return fmt.Sprintf("%s %d (%.1f%%)", o, by[o], 100*float64(by[o])/float64(n)) }
	fmt.Fprintf(w, "  router-cascade: %d requests, %s, %s, %s\n", n,
		share(spend.CascadeAccepted), share(spend.CascadeEscalated), share(spend.CascadeSkipped))
}

// money shows cents for large sums and enough digits for tiny ones.
func money(usd float64) string {
	sign := ""
	if usd < 0 {
		sign, usd = "-", -usd
	}
	if usd >= 100 {
		return fmt.Sprintf("%s$%.2f", sign, usd)
	}
	return fmt.Sprintf("%s$%.6f", sign, usd)
}
