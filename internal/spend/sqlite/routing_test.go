package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendsql"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
)

func TestVersionsMatchRecords(t *testing.T) {
	s, _ := openTemp(t)
	recs := spendtest.Records(3000, 3)
	spendtest.Write(t, s, recs)
	spendtest.RunVersions(t, s, recs)
}

// TestMigrateVersion3 opens a database written before routing was
// recorded (schema version 3: raw rows and roll-ups without it): it
// migrates, reports the old rows exactly as not routed, and counts the
// routing of rows written after.
func TestMigrateVersion3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v3.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:3] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	old := spendtest.Records(1200, 4)
	for _, r := range old {
		ts := r.Time.UTC()
		if _, err := db.Exec(`INSERT INTO requests (ts_ms, day, request_id, key_id, model, policy, rule, input_tokens, output_tokens,
			thinking_tokens, estimated, cost_nanos, status, latency_ms, cascade, cascade_step, baseline_nanos)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ts.UnixMilli(), ts.Format("2006-01-02"), r.RequestID, r.KeyID, r.Model, r.Policy, r.Rule, r.InputTokens, r.OutputTokens,
			r.ThinkingTokens, bit(r.Estimated), spend.Nanos(r.CostUSD), r.Status, r.LatencyMS, r.Cascade, r.CascadeStep,
			spend.Nanos(r.BaselineCostUSD)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{spendsql.BackfillSQL(spendsql.HourTable, spendsql.HourMS), spendsql.BackfillSQL(spendsql.DayTable, spendsql.DayMS),
		"PRAGMA user_version = 3"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := openMigrated(t, path)
	spendtest.RunMigratedRouting(t, s, old)
}

// openMigrated opens the database an older schema left at path and checks
// that opening migrated it to the latest version.
func openMigrated(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version %d, %v; want %d", v, err, len(migrations))
	}
	return s
}
