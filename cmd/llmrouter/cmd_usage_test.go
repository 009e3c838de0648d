package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
)

// usageDB writes a small spend database over three days.
func usageDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spend.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	recs := []spend.Record{
		{Time: d, KeyID: "k_aaaa", Model: "gemini-2.5-pro", Policy: "Complex_Query", Rule: "keyword", InputTokens: 1200, OutputTokens: 800, ThinkingTokens: 400, CostUSD: 0.0135, BaselineCostUSD: 0.0135, Status: "ok"},
		{Time: d.Add(time.Hour), KeyID: "k_aaaa", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 50, OutputTokens: 20, CostUSD: 0.000065, BaselineCostUSD: 0.0002625, Status: "ok"},
		{Time: d.Add(26 * time.Hour), KeyID: "k_bbbb", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 80, CostUSD: 0.000024, BaselineCostUSD: 0.0001, Status: "upstream_unavailable"},
		{Time: d.Add(50 * time.Hour), Model: "gemini-2.5-pro", Policy: "Ambiguous_Query", Rule: "math", InputTokens: 300, OutputTokens: 1500, CostUSD: 0.015375, BaselineCostUSD: 0.015375, Status: "ok"},
	}
	for _, r := range recs {
		if err := s.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageGolden(t *testing.T) {
	db := usageDB(t)
	cases := []struct {
		name, golden string
		args         []string
	}{
		{"all groupings", "usage_all.golden", nil},
		{"by day since", "usage_day_since.golden", []string{"--by", "day", "--since", "2026-01-02"}},
		{"empty window", "usage_empty.golden", []string{"--by", "model", "--since", "2027-01-01"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmdEnv(t, nil, append([]string{"usage", "--db", db}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got := strings.ReplaceAll(stdout, db, "DB")
			path := filepath.Join("testdata", tc.golden)
			if golden.Update() {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("output differs from %s:\n%s", path, got)
			}
		})
	}
}

func TestUsageJSON(t *testing.T) {
	db := usageDB(t)
	code, stdout, stderr := runCmdEnv(t, nil, "usage", "--db", db, "--json", "--until", "2026-01-03")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep usageReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 4 || rep.Total.Requests != 3 || rep.Total.Errors != 1 || spend.Nanos(rep.Total.CostUSD) != 13_589_000 {
		t.Fatalf("report: %+v", rep)
	}
	if keys := rep.Groups["key"]; len(keys) != 2 || keys[0].Group != "k_aaaa" {
		t.Fatalf("by key: %+v", keys)
	}
}

func TestUsageBadInput(t *testing.T) {
	db := usageDB(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("garbage ", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing db", []string{"--db", filepath.Join(dir, "none.db")}, 1, "none.db"},
		{"garbage db", []string{"--db", garbage}, 1, "garbage.db"},
		{"bad grouping", []string{"--db", db, "--by", "week"}, 2, `--by: unknown grouping "week"`},
		{"bad since", []string{"--db", db, "--since", "yesterday"}, 2, `--since "yesterday"`},
		{"since after until", []string{"--db", db, "--since", "2026-02-01", "--until", "2026-01-01"}, 2, "is not before --until"},
		{"stray argument", []string{"--db", db, "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmdEnv(t, nil, append([]string{"usage"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 && tc.code == 1 {
				t.Fatalf("exit %d, stderr %q; want exit %d containing %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	// The missing database was not created by the failed command.
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Fatal("usage created a database")
	}
}

// TestUsageCascade: cascade outcomes get their own table and shares, and
// an escalated request counts once though both its calls are charged.
func TestUsageCascade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spend.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	// Each call's baseline is its tokens on the strong model: $0.001.
	rec := func(id, model, outcome, step string, cost float64) spend.Record {
		return spend.Record{Time: d, RequestID: id, KeyID: "k_aaaa", Model: model, Policy: "Standard_Query", Rule: "cascade",
			InputTokens: 100, OutputTokens: 50, CostUSD: cost, BaselineCostUSD: 0.001, Status: "ok", Cascade: outcome, CascadeStep: step}
	}
	plain := rec("p1", "gemini-2.5-flash", "", "", 0.0001)
	plain.Rule = "threshold"
	for _, r := range []spend.Record{
		plain,
		rec("c1", "gemini-2.5-flash", spend.CascadeAccepted, spend.StepCheap, 0.0001),
		rec("c2", "gemini-2.5-flash", spend.CascadeAccepted, spend.StepCheap, 0.0001),
		rec("c3", "gemini-2.5-flash", spend.CascadeEscalated, spend.StepCheap, 0.0001),
		rec("c3", "gemini-2.5-pro", spend.CascadeEscalated, spend.StepStrong, 0.001),
		rec("c4", "gemini-2.5-pro", spend.CascadeSkipped, spend.StepStrong, 0.001),
	} {
		if err := s.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmdEnv(t, nil, "usage", "--db", path, "--by", "cascade")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := strings.ReplaceAll(stdout, path, "DB")
	goldenPath := filepath.Join("testdata", "usage_cascade.golden")
	if golden.Update() {
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(goldenPath); err != nil || got != string(want) {
		t.Fatalf("output differs from %s (%v):\n%s", goldenPath, err, got)
	}
	code, stdout, stderr = runCmdEnv(t, nil, "usage", "--db", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep usageReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 5 || rep.Total.Requests != 5 || fmt.Sprint(rep.Cascade) != "map[accepted:2 escalated:1 skipped:1]" {
		t.Fatalf("report: %+v", rep)
	}
}
