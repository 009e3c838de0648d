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
	in := fs.String("oracle-file", "./data/generated/oracle_dataset.jsonl", "oracle dataset written by 'llmrouter oracle'; several, comma-separated, to train on a mix (benchmarks and captured traffic)")
	outDir := fs.String("output-dir", "./data/training", "directory for sft_train.jsonl, dpo_train.jsonl and outcomes_train.jsonl")
	matrixPath := fs.String("matrix", "", "oracle matrix YAML declaring the DPO preference per cell (default: built-in; matrix_pairwise.yaml when every row is pairwise-labelled)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("%w: --oracle-file is required", errUsage)
	}
	// A bad --matrix is reported before the (larger) oracle files are read.
	var m oracle.Matrix
	var err error
	if *matrixPath != "" {
		if m, err = oracle.LoadMatrix(*matrixPath); err != nil {
			return err
		}
	}
	rows, err := readOracleFiles(*in)
	if err != nil {
		return err
	}
	if *matrixPath == "" {
		m = defaultPrepareMatrix(rows)
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

// readOracleFiles reads one oracle dataset, or several comma-separated ones
// in order (say a benchmark's and captured traffic's). An id in two files is
// an error naming both: it would put one question twice in training.
func readOracleFiles(list string) ([]oracle.Row, error) {
	var rows []oracle.Row
	from := map[string]string{}
	for _, path := range strings.Split(list, ",") {
		path = strings.TrimSpace(path)
		if path == "" {
			return nil, fmt.Errorf("%w: --oracle-file %q: empty file name", errUsage, list)
		}
		part, err := oracle.ReadDataset(path)
		if err != nil {
			return nil, err
		}
		for _, r := range part {
			if prev, dup := from[r.ID]; dup {
				return nil, fmt.Errorf("%s: id %q is also in %s; oracle files merged for training must not share ids", path, r.ID, prev)
			}
			from[r.ID] = path
		}
		rows = append(rows, part...)
	}
	return rows, nil
}

// defaultPrepareMatrix is the built-in matrix of the rows' labels: the
// pairwise one when every row was labelled pairwise. Mixed rows use
// matrix.yaml, which declares the same preferences for the four cells
// pairwise labels produce.
func defaultPrepareMatrix(rows []oracle.Row) oracle.Matrix {
	for _, r := range rows {
		if r.Pairwise == nil {
			return oracle.DefaultMatrix()
		}
	}
	return oracle.PairwiseMatrix()
}
