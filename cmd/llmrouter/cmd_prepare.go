package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/trainset"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// runPrepare turns the oracle dataset into TRL-format training files:
// sft_train.jsonl (prompt/completion) and dpo_train.jsonl
// (prompt/chosen/rejected), using the prompt template the router shares.
func runPrepare(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "prepare", "--oracle-file FILE [--output-dir DIR] [--matrix FILE]")
	in := fs.String("oracle-file", "./data/generated/oracle_dataset.jsonl", "oracle dataset written by 'llmrouter oracle'")
	outDir := fs.String("output-dir", "./data/training", "directory for sft_train.jsonl, dpo_train.jsonl and outcomes_train.jsonl")
	matrixPath := fs.String("matrix", "", "oracle matrix YAML declaring the DPO preference per cell (default: built-in)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("%w: --oracle-file is required", errUsage)
	}
	m, err := oracle.LoadMatrix(*matrixPath)
	if err != nil {
		return err
	}
	rows, err := oracle.ReadDataset(*in)
	if err != nil {
		return err
	}
	st, err := trainset.Write(*outDir, rows, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "prepared %d SFT rows → %s\n", st.SFT, filepath.Join(*outDir, trainset.SFTFile))
	for _, p := range policy.Labels {
		fmt.Fprintf(env.Stdout, "  %-16s %d\n", p, st.Policies[p])
	}
	fmt.Fprintf(env.Stdout, "prepared %d DPO pairs → %s\n", st.Pairs, filepath.Join(*outDir, trainset.DPOFile))
	fmt.Fprintf(env.Stdout, "prepared %d outcome rows for %d models (%s) → %s\n", st.SFT, len(st.Models),
		strings.Join(st.Models, ", "), filepath.Join(*outDir, trainset.OutcomesFile))
	env.Log.Info("prepare done", "sft_rows", st.SFT, "dpo_pairs", st.Pairs, "models", len(st.Models), "template_version", trl.TemplateVersion)
	return nil
}
