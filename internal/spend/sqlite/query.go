package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendsql"
)

// Report implements spend.Reporter.
func (s *Store) Report(ctx context.Context, q spend.Query) (spend.Report, error) {
	rep, err := spendsql.Report(ctx, spendsql.DB(s.db), spendsql.SQLite, q)
	if err != nil {
		return rep, fmt.Errorf("spend database %s: report: %w", s.path, err)
	}
	return rep, nil
}

// Versions implements spend.VersionReporter.
func (s *Store) Versions(ctx context.Context, q spend.Query) ([]spend.VersionSeen, error) {
	v, err := spendsql.Versions(ctx, spendsql.DB(s.db), spendsql.SQLite, q)
	if err != nil {
		return nil, fmt.Errorf("spend database %s: %w", s.path, err)
	}
	return v, nil
}

// Summary implements spend.Store.
func (s *Store) Summary(ctx context.Context, q spend.Query) ([]spend.Row, error) {
	if q.GroupBy == "" {
		return nil, fmt.Errorf("spend summary: no grouping (one of model, policy, key, day, cascade, hour, total)")
	}
	rep, err := s.Report(ctx, q)
	return rep.Rows, err
}

// SpentSince implements spend.Totaler. Budget periods start on UTC day
// boundaries, so this reads roll-ups only, however many records there are.
func (s *Store) SpentSince(ctx context.Context, from time.Time) (map[string]float64, float64, error) {
	return spendsql.SpentSince(ctx, s, from)
}
