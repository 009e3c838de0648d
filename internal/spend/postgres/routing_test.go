package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendsql"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
)

func TestVersionsMatchRecords(t *testing.T) {
	s := open(t, spendtest.PostgresURL(t), Options{})
	recs := spendtest.Records(3000, 3)
	spendtest.Write(t, s, recs)
	spendtest.RunVersions(t, s, recs)
}

// TestMigrateVersion1 opens a database written before routing was
// recorded (schema version 1: raw rows and roll-ups without it): it
// migrates, reports the old rows exactly as not routed, and counts the
// routing of rows written after.
func TestMigrateVersion1(t *testing.T) {
	ctx := context.Background()
	url := spendtest.PostgresURL(t)
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{migrations[0], "CREATE TABLE spend_schema (version INTEGER NOT NULL)", "INSERT INTO spend_schema (version) VALUES (1)"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old := spendtest.Records(1200, 4)
	rows := make([][]any, len(old))
	for i, r := range old {
		rows[i] = []any{r.Time.UnixMilli(), r.RequestID, r.KeyID, r.Model, r.Policy, r.Rule,
			int64(r.InputTokens), int64(r.OutputTokens), int64(r.ThinkingTokens), r.Estimated,
			spend.Nanos(r.CostUSD), spend.Nanos(r.BaselineCostUSD), r.Status, r.LatencyMS, r.Cascade, r.CascadeStep}
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"requests"}, rawColumns[:16], pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{spendsql.BackfillSQL(spendsql.HourTable, spendsql.HourMS), spendsql.BackfillSQL(spendsql.DayTable, spendsql.DayMS)} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, url, Options{})
	var v int
	if err := s.pool.QueryRow(ctx, "SELECT version FROM spend_schema").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(migrations))
	}
	spendtest.RunMigratedRouting(t, s, old)
}
