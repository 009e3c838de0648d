package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/postgres"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
)

// usageJSON runs usage --json with args and decodes the report.
func usageJSON(t *testing.T, env map[string]string, args ...string) usageReport {
	t.Helper()
	code, stdout, stderr := runCmdEnv(t, env, append([]string{"usage", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("usage %v: exit %d: %s", args, code, stderr)
	}
	var rep usageReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "router.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUsageConfigStores: --config reads the store the gateway config
// names, SQLite or PostgreSQL, and names the baseline model.
func TestUsageConfigStores(t *testing.T) {
	recs := spendtest.Records(500, 4)
	want := spend.Sum("TOTAL", spendtest.Expect(recs, spend.Query{GroupBy: spend.ByModel}))
	t.Run("sqlite", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "spend.db")
		s, err := sqlite.Open(context.Background(), db, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		spendtest.Write(t, s, recs)
		s.Close()
		rep := usageJSON(t, nil, "--config", writeConfig(t, fmt.Sprintf("spend: {sqlite_path: %s, baseline_model: gemini-2.5-pro}\n", db)))
		checkTotal(t, rep, want, "gemini-2.5-pro")
	})
	t.Run("postgres", func(t *testing.T) {
		u, err := url.Parse(spendtest.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), "usage-secret-pw")
		s, err := postgres.Open(context.Background(), u.String(), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		spendtest.Write(t, s, recs)
		s.Close()
		env := map[string]string{"SPEND_PG": u.String()}
		cfg := writeConfig(t, "spend: {postgres_url_env: SPEND_PG}\n")
		rep := usageJSON(t, env, "--config", cfg)
		checkTotal(t, rep, want, "gemini-2.5-pro")
		code, stdout, stderr := runCmdEnv(t, env, "usage", "--config", cfg, "--by", "model")
		if code != 0 || strings.Contains(stdout+stderr, "usage-secret-pw") || !strings.Contains(stdout, "Spend recorded in postgres 127.0.0.1") {
			t.Fatalf("exit %d (the password must not show):\n%s%s", code, stdout, stderr)
		}
	})
}

func checkTotal(t *testing.T, rep usageReport, want spend.Row, baseline string) {
	t.Helper()
	if rep.Total.Requests != want.Requests || spend.Nanos(rep.Total.CostUSD) != spend.Nanos(want.CostUSD) ||
		spend.Nanos(rep.Total.BaselineCostUSD) != spend.Nanos(want.BaselineCostUSD) || rep.BaselineModel != baseline {
		t.Errorf("total %+v baseline model %q; want %+v on %q", rep.Total, rep.BaselineModel, want, baseline)
	}
}

// TestUsageTotalsAcrossPrune: usage reads roll-ups, so pruning raw rows
// past the retention changes no total.
func TestUsageTotalsAcrossPrune(t *testing.T) {
	db := filepath.Join(t.TempDir(), "spend.db")
	s, err := sqlite.Open(context.Background(), db, sqlite.Options{Retention: 3 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spendtest.Write(t, s, spendtest.Records(1000, 5))
	args := [][]string{{"--db", db}, {"--db", db, "--since", spendtest.Day0.AddDate(0, 0, 2).Format("2006-01-02")}, {"--db", db, "--key", "team-a", "--model", "pro"}}
	var before []string
	for _, a := range args {
		b, _ := json.Marshal(usageJSON(t, nil, a...).Groups)
		before = append(before, string(b))
	}
	n, err := s.Prune(context.Background(), spendtest.Day0.AddDate(0, 0, 10))
	if err != nil || n == 0 {
		t.Fatalf("prune: %d rows, %v", n, err)
	}
	for i, a := range args {
		rep := usageJSON(t, nil, a...)
		if b, _ := json.Marshal(rep.Groups); string(b) != before[i] {
			t.Errorf("usage %v changed across the prune:\n%s\n%s", a, before[i], b)
		}
		if rep.RawSince == nil || !rep.RawSince.Equal(spendtest.Day0.AddDate(0, 0, 7)) {
			t.Errorf("raw_since %v", rep.RawSince)
		}
	}
}

func TestUsageDBAndConfigConflict(t *testing.T) {
	code, _, stderr := runCmdEnv(t, nil, "usage", "--db", "x.db", "--config", "router.yaml")
	if code != 2 || !strings.Contains(stderr, "--db and --config name two stores") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
