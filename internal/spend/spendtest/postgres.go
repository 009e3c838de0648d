package spendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the environment variable holding the test server's
// URL; .ci/run starts a server and sets it.
const PostgresEnv = "LLMROUTER_TEST_POSTGRES_URL"

// PostgresURL returns the test server's URL with search_path set to a new
// schema, dropped when t ends, so tests share one server without sharing
// tables. Without a server t is skipped, saying how to get one.
func PostgresURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(PostgresEnv)
	if raw == "" {
		t.Skipf("no PostgreSQL server: set %s=postgres://user@127.0.0.1:5432/db (bash .ci/run starts one)", PostgresEnv)
	}
	u, drop, err := NewSchema(context.Background(), raw, "test")
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return u
}

// NewSchema creates a schema named prefix_<random> on the server at raw
// and returns raw with that schema as search_path, and a func dropping it.
func NewSchema(ctx context.Context, raw, prefix string) (string, func() error, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("cannot parse the URL: %w", err)
	}
	c, err := pgx.Connect(ctx, raw)
	if err != nil {
		return "", nil, fmt.Errorf("cannot connect: %w", err)
	}
	defer c.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		ctx := context.WithoutCancel(ctx)
		c, err := pgx.Connect(ctx, raw)
		if err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
