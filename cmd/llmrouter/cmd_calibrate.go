package main

import (
	"context"
	"fmt"

	"github.com/llmrouter/llmrouter/internal/router"
)

func runCalibrate(_ context.Context, env *Env, args []string) error {
	flags := newFlagSet(env, "calibrate", "--model-path DIR --strong-share 0.3 [--queries FILE]")
	modelPath := flags.String("model-path", routerDefaultModel, "model directory")
	share := flags.Float64("strong-share", 0.3, "share of queries to send to the strong model, in [0, 1]")
	queries := flags.String("queries", "", "queries to calibrate on (.jsonl with query/problem/prompt, or one per line); default: the training-query scores stored in the model")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if !(*share >= 0 && *share <= 1) {
		return fmt.Errorf("%w: --strong-share %v outside [0, 1]", errUsage, *share)
	}
	m, err := router.Load(*modelPath)
	if err != nil {
		return err
	}
	var qs []string
	source := ""
	if *queries != "" {
		if qs, err = router.ReadQueries(*queries); err != nil {
			return err
		}
		source = fmt.Sprintf("%d queries from %s", len(qs), *queries)
	}
	t, err := router.Calibrate(m, *share, qs, source)
	if err != nil {
		return err
	}
	if err := router.SaveMeta(*modelPath, m); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "threshold %.6f sends %.1f%% of %s to the strong model (saved in %s)\n",
		t, 100**share, m.Meta.ThresholdSource[len("calibrate: "):], *modelPath)
	return nil
}
