package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
)

// usageReport is the --json output.
type usageReport struct {
	DB     string                 `json:"db"`
	Since  string                 `json:"since,omitempty"`
	Until  string                 `json:"until,omitempty"`
	Groups map[string][]spend.Row `json:"groups"`
	Total  spend.Row              `json:"total"`
	// Cascade counts router-cascade requests by outcome, when there were any.
	Cascade map[string]int64 `json:"cascade_outcomes,omitempty"`
}

// runUsage prints recorded requests, tokens and cost from the gateway's
// spend database, grouped by model, policy, key, day and/or cascade
// outcome.
func runUsage(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "usage", "[--db ./data/spend.db] [--by model|policy|key|day|cascade] [--since 2026-01-01] [--until 2026-02-01] [--json]")
	db := fs.String("db", "./data/spend.db", "spend database written by 'llmrouter serve'")
	by := fs.String("by", "", "one grouping: model, policy, key, day or cascade (default: all, cascade only if the window has cascade requests)")
	since := fs.String("since", "", "only requests at or after this UTC date (YYYY-MM-DD) or RFC 3339 time")
	until := fs.String("until", "", "only requests before this UTC date (YYYY-MM-DD) or RFC 3339 time")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	groupings, all := spend.Groupings, *by == ""
	if !all {
		g, err := spend.ParseGroupBy(*by)
		if err != nil {
			return fmt.Errorf("%w: --by: %v", errUsage, err)
		}
		groupings = []spend.GroupBy{g}
	}
	var q spend.Query
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
	store, err := sqlite.Open(ctx, *db, sqlite.Options{MustExist: true, Logger: env.Log})
	if err != nil {
		return err
	}
	defer store.Close()
	rep := usageReport{DB: *db, Since: *since, Until: *until, Groups: map[string][]spend.Row{}}
	for _, g := range groupings {
		q.GroupBy = g
		rows, err := store.Summary(ctx, q)
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []spend.Row{}
		}
		rep.Groups[string(g)] = rows
	}
	rep.Total = total(rep.Groups[string(groupings[0])])
	rep.Cascade = cascadeOutcomes(rep.Groups[string(spend.ByCascade)])
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

// parseWhen accepts a UTC date or an RFC 3339 time; "" is an open bound.
func parseWhen(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
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

// total sums one grouping's rows; every grouping covers the same records.
func total(rows []spend.Row) spend.Row {
	t := spend.Row{Group: "TOTAL"}
	var nanos int64
	for _, r := range rows {
		t.Requests += r.Requests
		t.Errors += r.Errors
		t.InputTokens += r.InputTokens
		t.OutputTokens += r.OutputTokens
		t.ThinkingTokens += r.ThinkingTokens
		nanos += spend.Nanos(r.CostUSD)
	}
	t.CostUSD = spend.USD(nanos)
	return t
}

func printUsage(w io.Writer, rep usageReport, groupings []spend.GroupBy) error {
	window := "all time"
	switch {
	case rep.Since != "" && rep.Until != "":
		window = "from " + rep.Since + " until " + rep.Until
	case rep.Since != "":
		window = "since " + rep.Since
	case rep.Until != "":
		window = "until " + rep.Until
	}
	fmt.Fprintf(w, "Spend recorded in %s (%s)\n", rep.DB, window)
	if rep.Total.Requests == 0 {
		fmt.Fprintln(w, "\nno requests recorded in this window")
		return nil
	}
	for _, g := range groupings {
		fmt.Fprintf(w, "\nBy %s:\n", g)
		rows := append(append([]spend.Row{}, rep.Groups[string(g)]...), rep.Total)
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
		fmt.Fprintf(tw, "%-*s\tREQUESTS\tERRORS\tINPUT TOK\tOUTPUT TOK\tTHINKING TOK\tCOST USD\t\n", width, strings.ToUpper(string(g)))
		for _, r := range rows {
			fmt.Fprintf(tw, "%-*s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", width, r.Group, r.Requests, r.Errors, r.InputTokens, r.OutputTokens, r.ThinkingTokens, money(r.CostUSD))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if g == spend.ByCascade {
			printCascade(w, rep.Cascade)
		}
	}
	return nil
}

func noGroup(g spend.GroupBy) string {
	if g == spend.ByCascade {
		return "(no cascade)"
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
	if usd >= 100 {
		return fmt.Sprintf("$%.2f", usd)
	}
	return fmt.Sprintf("$%.6f", usd)
}
