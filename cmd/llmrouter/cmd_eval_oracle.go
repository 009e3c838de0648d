package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// evalOracleDir is where eval journals and stores the test-split answers,
// inside --output-dir, so a rerun resumes and never pays for a call twice.
const evalOracleDir = "oracle_test"

// answerTestSplit answers and grades every test question with both models
// (every candidate of an N-model router)
// through the oracle generator, the same providers, judge and price table
// as the oracle stage, so each question carries both graded answers and the
// router's accuracy is the chosen model's recorded result.
func answerTestSplit(ctx context.Context, env *Env, o evalOptions, m *router.Model, items []dataset.Item) ([]oracle.Row, eval.Models, error) {
	var models eval.Models
	cat, err := catalog.LoadCatalogue(o.config)
	if err != nil {
		return nil, models, err
	}
	cheap, strong, list := o.cheap, o.strong, m.Candidates()
	if len(list) > 0 {
		// An N-model router is evaluated on every candidate, its recorded
		// pair as the cheap and strong ones unless the flags say otherwise.
		cheap, strong = orDefaultString(cheap, m.Meta.CheapModel), orDefaultString(strong, m.Meta.StrongModel)
	}
	roles, all, err := resolveModels(cat, items, catalog.Roles{Cheap: cheap, Strong: strong, Judge: o.judge}, list)
	if err != nil {
		return nil, models, err
	}
	models = eval.Models{Cheap: roles.Cheap, Strong: roles.Strong, Judge: roles.Judge}
	if mc, ms := m.Meta.CheapModel, m.Meta.StrongModel; (mc != "" && mc != roles.Cheap) || (ms != "" && ms != roles.Strong) {
		env.Log.Warn("the router was trained for other models than the ones evaluated",
			"trained_cheap", mc, "trained_strong", ms, "eval_cheap", roles.Cheap, "eval_strong", roles.Strong)
	}
	matrix, err := oracle.LoadMatrix("")
	if err != nil {
		return nil, models, err
	}
	reg, err := newModelRegistry(cat, env.Getenv)
	if err != nil {
		return nil, models, err
	}
	if err := checkRoleKeys(reg, roles, all...); err != nil {
		return nil, models, err
	}
	j, err := buildJudge(reg, roles.Judge, items)
	if err != nil {
		return nil, models, err
	}
	dir := filepath.Join(o.outputDir, evalOracleDir)
	env.Log.Info("answering the test split with every model", "questions", len(items), "cheap", roles.Cheap,
		"strong", roles.Strong, "models", len(all), "judge", roles.Judge, "journal_dir", dir)
	conc := o.concurrency
	if conc == 0 {
		conc = 16
	}
	if _, err := oracle.Run(ctx, oracle.Config{
		Items: items, Cheap: roles.Cheap, Strong: roles.Strong, Models: all, Judge: j, JudgeName: roles.Judge,
		Providers: reg, Matrix: matrix, OutputDir: dir, Concurrency: conc,
		Logger: env.Log, Progress: env.Stderr, IsTTY: isTerminal(env.Stderr),
	}); err != nil {
		return nil, models, fmt.Errorf("answer the test split: %w", err)
	}
	rows, err := oracle.ReadDataset(filepath.Join(dir, oracle.DatasetFile))
	if err != nil {
		return nil, models, err
	}
	return rows, models, nil
}
