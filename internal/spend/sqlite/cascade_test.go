package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// cascadeFixtures are three cascade requests and one plain one: accepted
// (one cheap record), escalated (a cheap and a strong record sharing one
// request id) and skipped (one strong record).
func cascadeFixtures() []spend.Record {
	rec := func(id, model, outcome, step string, cost float64) spend.Record {
		return spend.Record{Time: day1, RequestID: id, KeyID: "k_a", Model: model, Policy: "Standard_Query", Rule: "cascade",
			InputTokens: 10, OutputTokens: 5, CostUSD: cost, Status: "ok", Cascade: outcome, CascadeStep: step}
	}
	plain := rec("r0", "flash", "", "", 0.001)
	plain.Rule = "threshold"
	return []spend.Record{
		plain,
		rec("r1", "flash", spend.CascadeAccepted, spend.StepCheap, 0.001),
		rec("r2", "flash", spend.CascadeEscalated, spend.StepCheap, 0.001),
		rec("r2", "pro", spend.CascadeEscalated, spend.StepStrong, 0.01),
		rec("r3", "pro", spend.CascadeSkipped, spend.StepStrong, 0.01),
	}
}

// TestCascadeSummary: an escalated cascade is one request whose two calls
// both count in tokens and cost.
func TestCascadeSummary(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, r := range cascadeFixtures() {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		by   spend.GroupBy
		want []string
	}{
		{spend.ByCascade, []string{"escalated 1 0 20 10 0.011000000", "skipped 1 0 10 5 0.010000000", " 1 0 10 5 0.001000000", "accepted 1 0 10 5 0.001000000"}},
		{spend.ByKey, []string{"k_a 4 0 50 25 0.023000000"}},
		{spend.ByModel, []string{"pro 2 0 20 10 0.020000000", "flash 2 0 30 15 0.003000000"}},
	}
	for _, tc := range cases {
		rows, err := s.Summary(ctx, spend.Query{GroupBy: tc.by})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %d %d %d %d %.9f", r.Group, r.Requests, r.Errors, r.InputTokens, r.OutputTokens, r.CostUSD))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("by %s: got\n%s\nwant\n%s", tc.by, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// TestMigrateVersion1 opens a database written before cascade routing: its
// rows read back as plain requests, and new rows carry their outcome.
func TestMigrateVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrations[0] + "; PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO requests (ts_ms, day, request_id, key_id, model, policy, rule, input_tokens, output_tokens,
		thinking_tokens, estimated, cost_nanos, status, latency_ms) VALUES (?, '2026-01-01', 'old', 'k_a', 'flash', 'p', 'static', 1, 2, 0, 0, 1000, 'ok', 5)`,
		day1.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openMigrated(t, path)
	r := cascadeFixtures()[1]
	r.Time = day1.Add(time.Minute)
	if err := s.Record(ctx, r); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Summary(ctx, spend.Query{GroupBy: spend.ByCascade})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Group != "accepted" || rows[1].Group != "" || rows[1].Requests != 1 {
		t.Fatalf("after migration: %+v", rows)
	}
}
