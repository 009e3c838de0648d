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
	if err := checkJudgeMode(o.judgeMode, items); err != nil {
		return nil, models, err
	}
	roles, all, err := resolveModels(cat, items, catalog.Roles{Cheap: cheap, Strong: strong, Judge: o.judge}, list)
	if err != nil {
		return nil, models, err
	}
	if roles, err = judgeRoleDefault(o.judgeMode, o.judge, roles); err != nil {
		return nil, models, err
	}
	models = eval.Models{Cheap: roles.Cheap, Strong: roles.Strong, Judge: roles.Judge}
	if mc, ms := m.Meta.CheapModel, m.Meta.StrongModel; (mc != "" && mc != roles.Cheap) || (ms != "" && ms != roles.Strong) {
		env.Log.Warn("the router was trained for other models than the ones evaluated",
			"trained_cheap", mc, "trained_strong", ms, "eval_cheap", roles.Cheap, "eval_strong", roles.Strong)
	}
	reg, err := newModelRegistry(cat, env.Getenv)
	if err != nil {
		return nil, models, err
	}
	if err := checkRoleKeys(reg, roles, all...); err != nil {
		return nil, models, err
	}
	lab, err := buildLabeler(reg, o.judgeMode, roles.Judge, "", items)
	if err != nil {
		return nil, models, err
	}
	models.Judge = lab.name
	dir := filepath.Join(o.outputDir, evalOracleDir)
	env.Log.Info("answering the test split with every model", "questions", len(items), "cheap", roles.Cheap,
		"strong", roles.Strong, "models", len(all), "judge", roles.Judge, "journal_dir", dir)
	conc := o.concurrency
	if conc == 0 {
		conc = 16
	}
	cfg := oracle.Config{
		Items: items, Cheap: roles.Cheap, Strong: roles.Strong, Models: all,
		Providers: reg, OutputDir: dir, Concurrency: conc,
		Logger: env.Log, Progress: env.Stderr, IsTTY: isTerminal(env.Stderr),
	}
	lab.apply(&cfg)
	if _, err := oracle.Run(ctx, cfg); err != nil {
		return nil, models, fmt.Errorf("answer the test split: %w", err)
	}
	rows, err := oracle.ReadDataset(filepath.Join(dir, oracle.DatasetFile))
	if err != nil {
		return nil, models, err
	}
	return rows, models, nil
}
