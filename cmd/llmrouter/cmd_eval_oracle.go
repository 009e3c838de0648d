package main

import (
	"context"
	"errors"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// evalOracleDir is where eval journals and stores the test-split answers,
// inside --output-dir, so a rerun resumes and never pays for a call twice.
const evalOracleDir = "oracle_test"

// answerTestSplit answers and grades the test questions with both models
// through the oracle generator (wired once the oracle command lands).
func answerTestSplit(ctx context.Context, env *Env, o evalOptions, m *router.Model, items []dataset.Item) ([]oracle.Row, eval.Models, error) {
	return nil, eval.Models{}, errors.New("eval: answering the test split is not wired yet")
}
