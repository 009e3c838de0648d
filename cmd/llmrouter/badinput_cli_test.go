package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
)

// useRealRegistry wires the oracle and route commands to the real provider
// registry (env keys, GEMINI_BASE_URL), whatever the build's default is.
func useRealRegistry(t *testing.T) {
	t.Helper()
	old := newModelRegistry
	newModelRegistry = func(cat *catalog.Catalogue, getenv func(string) string) (modelRegistry, error) {
		return registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: getenv}), nil
	}
	t.Cleanup(func() { newModelRegistry = old })
}

// badCLICase is one hostile command line. Args may use @name for a fixture
// path (see badFixtures), $DIR for the case's scratch directory, $OUT for
// an output directory pre-filled with earlier results, and $MODEL for a
// trained model.
type badCLICase struct {
	name string
	args string
	env  map[string]string
	code int
	// want are substrings the one-line error must contain: the file (and
	// line) or the setting at fault, and what is wrong with it.
	want []string
}

const liveKeyEnv = "GEMINI_API_KEY"

// badCLICases is the catalogue: every subcommand × the kinds of bad input
// that apply to it.
func badCLICases() []badCLICase {
	live := map[string]string{liveKeyEnv: "test-key", "GEMINI_BASE_URL": "http://127.0.0.1:1"}
	oracleIn := "oracle --benchmark custom --output-dir $OUT --input-file "
	return []badCLICase{
		{name: "download/unknown benchmark", args: "download --benchmark nope --output-dir $OUT", code: 2, want: []string{"--benchmark", "nope"}},
		{name: "download/garbage source", args: "download --url @garbage --output-dir $OUT", code: 1, want: []string{"garbage.jsonl", "sha256"}},
		{name: "download/empty source", args: "download --url @empty --output-dir $OUT", code: 1, want: []string{"empty.jsonl", "sha256"}},
		{name: "download/missing source", args: "download --url @missing --output-dir $OUT", code: 1, want: []string{"no_such_file.jsonl"}},

		{name: "split/empty", args: "split --output-dir $OUT --input-file @empty", code: 1, want: []string{"empty.jsonl", "empty"}},
		{name: "split/blank lines", args: "split --output-dir $OUT --input-file @blank", code: 1, want: []string{"blank.jsonl", "empty"}},
		{name: "split/binary garbage", args: "split --output-dir $OUT --input-file @garbage", code: 1, want: []string{"garbage.jsonl:1:", "UTF-8"}},
		{name: "split/truncated utf8", args: "split --output-dir $OUT --input-file @trunc_utf8", code: 1, want: []string{"trunc_utf8.jsonl:1:", "UTF-8"}},
		{name: "split/truncated last line", args: "split --output-dir $OUT --input-file @items_trunc", code: 1, want: []string{"items_trunc.jsonl:2:"}},
		{name: "split/huge line", args: "split --output-dir $OUT --input-file @items_huge", code: 1, want: []string{"items_huge.jsonl:1:", "longer than"}},
		{name: "split/wrong field types", args: "split --output-dir $OUT --input-file @items_types", code: 1, want: []string{"items_types.jsonl:1:", "id"}},
		{name: "split/duplicate ids", args: "split --output-dir $OUT --input-file @items_dup", code: 1, want: []string{"items_dup.jsonl:2:", "duplicate id", "q1"}},
		{name: "split/missing file", args: "split --output-dir $OUT --input-file @missing", code: 1, want: []string{"no_such_file.jsonl"}},
		{name: "split/no input flag", args: "split --output-dir $OUT", code: 2, want: []string{"--input-file"}},
		{name: "split/ratio above 1", args: "split --output-dir $OUT --train-ratio 1.5 --input-file @items_dup", code: 2, want: []string{"--train-ratio", "1.5"}},
		{name: "split/ratio negative", args: "split --output-dir $OUT --train-ratio -0.2 --input-file @items_dup", code: 2, want: []string{"--train-ratio", "-0.2"}},
		{name: "split/ratio not a number", args: "split --output-dir $OUT --train-ratio half --input-file @items_dup", code: 2, want: []string{"train-ratio", "half"}},

		{name: "oracle/empty", args: oracleIn + "@empty", env: live, code: 1, want: []string{"empty.jsonl", "empty"}},
		{name: "oracle/binary garbage", args: oracleIn + "@garbage", env: live, code: 1, want: []string{"garbage.jsonl:1:", "UTF-8"}},
		{name: "oracle/truncated utf8", args: oracleIn + "@trunc_utf8", env: live, code: 1, want: []string{"trunc_utf8.jsonl:1:", "UTF-8"}},
		{name: "oracle/huge line", args: oracleIn + "@items_huge", env: live, code: 1, want: []string{"items_huge.jsonl:1:", "longer than"}},
		{name: "oracle/wrong field types", args: oracleIn + "@items_types", env: live, code: 1, want: []string{"items_types.jsonl:1:"}},
		{name: "oracle/duplicate ids", args: oracleIn + "@items_dup", env: live, code: 1, want: []string{"items_dup.jsonl:2:", "duplicate id"}},
		{name: "oracle/missing input", args: oracleIn + "@missing", env: live, code: 1, want: []string{"no_such_file.jsonl"}},
		{name: "oracle/missing config", args: oracleIn + "@items_trunc --config @missing_yaml", env: live, code: 1, want: []string{"items_trunc.jsonl:2:"}},
		{name: "oracle/missing config, good input", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --config @missing_yaml", code: 1, want: []string{"no_such_config.yaml"}},
		{name: "oracle/garbage config", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --config @yaml_garbage", code: 1, want: []string{"yaml_garbage.yaml"}},
		{name: "oracle/config wrong types", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --config @yaml_types", code: 1, want: []string{"yaml_types.yaml", "cheap"}},
		{name: "oracle/config negative price", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --config @yaml_negative", code: 1, want: []string{"yaml_negative.yaml", "price"}},
		{name: "oracle/missing matrix", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --matrix @missing_yaml", code: 1, want: []string{"no_such_config.yaml"}},
		{name: "oracle/matrix unknown policy", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --matrix @matrix_bad", code: 1, want: []string{"matrix_bad.yaml", "Cheapest_Query"}},
		{name: "oracle/unknown model", args: "oracle --benchmark mmlu --limit 5 --output-dir $OUT --cheap-model gpt-7", code: 1, want: []string{"--cheap-model", "gpt-7"}},
		{name: "oracle/unknown benchmark", args: "oracle --benchmark trivia --output-dir $OUT", code: 2, want: []string{"--benchmark", "trivia"}},
		{name: "oracle/negative concurrency", args: "oracle --benchmark mmlu --concurrency -3 --output-dir $OUT", code: 2, want: []string{"--concurrency", "-3"}},
		{name: "oracle/negative limit", args: "oracle --benchmark mmlu --limit -1 --output-dir $OUT", code: 2, want: []string{"--limit", "-1"}},
		{name: "oracle/live model without key", args: oracleIn + "@items_trunc_fixed", code: 1, want: []string{"GEMINI_API_KEY"}},

		{name: "prepare/empty", args: "prepare --output-dir $OUT --oracle-file @empty", code: 1, want: []string{"empty.jsonl", "empty"}},
		{name: "prepare/binary garbage", args: "prepare --output-dir $OUT --oracle-file @garbage", code: 1, want: []string{"garbage.jsonl:1:", "UTF-8"}},
		{name: "prepare/truncated utf8", args: "prepare --output-dir $OUT --oracle-file @trunc_utf8", code: 1, want: []string{"trunc_utf8.jsonl:1:", "UTF-8"}},
		{name: "prepare/huge line", args: "prepare --output-dir $OUT --oracle-file @rows_huge", code: 1, want: []string{"rows_huge.jsonl:1:", "longer than"}},
		{name: "prepare/wrong field types", args: "prepare --output-dir $OUT --oracle-file @rows_types", code: 1, want: []string{"rows_types.jsonl:1:", "query"}},
		{name: "prepare/duplicate ids", args: "prepare --output-dir $OUT --oracle-file @rows_dup", code: 1, want: []string{"rows_dup.jsonl:2:", "duplicate id", "r1"}},
		{name: "prepare/unknown policy", args: "prepare --output-dir $OUT --oracle-file @rows_policy", code: 1, want: []string{"rows_policy.jsonl:1:", "Cheapest_Query"}},
		{name: "prepare/missing file", args: "prepare --output-dir $OUT --oracle-file @missing", code: 1, want: []string{"no_such_file.jsonl"}},
		{name: "prepare/missing matrix", args: "prepare --output-dir $OUT --oracle-file @rows_dup --matrix @missing_yaml", code: 1, want: []string{"no_such_config.yaml"}},

		{name: "train/empty", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @empty", code: 1, want: []string{"empty.jsonl"}},
		{name: "train/binary garbage", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @garbage", code: 1, want: []string{"garbage.jsonl:1:", "UTF-8"}},
		{name: "train/truncated utf8", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @trunc_utf8", code: 1, want: []string{"trunc_utf8.jsonl:1:", "UTF-8"}},
		{name: "train/huge line", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @sft_huge", code: 1, want: []string{"sft_huge.jsonl:1:", "longer than"}},
		{name: "train/wrong field types", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @sft_types", code: 1, want: []string{"sft_types.jsonl:1:"}},
		{name: "train/duplicate ids", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @sft_dup", code: 1, want: []string{"sft_dup.jsonl", "duplicate", "s1"}},
		{name: "train/unknown policy", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @sft_policy", code: 1, want: []string{"sft_policy.jsonl", "Cheapest_Query"}},
		{name: "train/missing file", args: "train --dpo-data-path '' --output $OUT/model --sft-data-path @missing", code: 1, want: []string{"no_such_file.jsonl"}},
		{name: "train/unknown router kind", args: "train --router oracle9 --output $OUT/model --sft-data-path @sft_dup", code: 2, want: []string{"oracle9"}},
		{name: "train/strong share above 1", args: "train --strong-share 1.5 --output $OUT/model --sft-data-path @sft_dup", code: 2, want: []string{"strong-share", "1.5"}},

		{name: "calibrate/share above 1", args: "calibrate --model-path $MODEL --strong-share 1.5", code: 2, want: []string{"--strong-share", "1.5"}},
		{name: "calibrate/share negative", args: "calibrate --model-path $MODEL --strong-share -0.1", code: 2, want: []string{"--strong-share", "-0.1"}},
		{name: "calibrate/missing model", args: "calibrate --model-path $DIR/nomodel", code: 1, want: []string{"nomodel", "does not exist"}},
		{name: "calibrate/not a model", args: "calibrate --model-path $OUT", code: 1, want: []string{"model.json"}},
		{name: "calibrate/garbage queries", args: "calibrate --model-path $MODEL --queries @garbage", code: 1, want: []string{"garbage.jsonl"}},
		{name: "calibrate/empty queries", args: "calibrate --model-path $MODEL --queries @empty", code: 1, want: []string{"empty.jsonl"}},

		{name: "route/threshold above 1", args: "route --model-path $MODEL --query hi --threshold 1.5", code: 2, want: []string{"--threshold", "1.5"}},
		{name: "route/threshold negative", args: "route --model-path $MODEL --query hi --threshold -1", code: 2, want: []string{"--threshold", "-1"}},
		{name: "route/no query", args: "route --model-path $MODEL", code: 2, want: []string{"--query", "--test-file"}},
		{name: "route/missing model", args: "route --model-path $DIR/nomodel --query hi", code: 1, want: []string{"nomodel", "does not exist"}},
		{name: "route/garbage queries", args: "route --model-path $MODEL --test-file @garbage", code: 1, want: []string{"garbage.jsonl"}},
		{name: "route/truncated utf8 queries", args: "route --model-path $MODEL --test-file @trunc_utf8", code: 1, want: []string{"trunc_utf8.jsonl:1:"}},
		{name: "route/empty queries", args: "route --model-path $MODEL --test-file @empty", code: 1, want: []string{"empty.jsonl"}},
		{name: "route/missing queries", args: "route --model-path $MODEL --test-file @missing", code: 1, want: []string{"no_such_file.jsonl"}},

		{name: "eval/threshold above 1", args: "eval --model-path $MODEL --test-file @items_dup --threshold 2", code: 2, want: []string{"--threshold", "2"}},
		{name: "eval/no test file", args: "eval --model-path $MODEL", code: 2, want: []string{"--test-file"}},
		{name: "eval/unknown router", args: "eval --model-path $MODEL --test-file @items_dup --routers knn,oracle9", code: 2, want: []string{"oracle9"}},
		{name: "eval/empty test file", args: "eval --model-path $MODEL --output-dir $OUT --test-file @empty", code: 1, want: []string{"empty.jsonl"}},
		{name: "eval/garbage test file", args: "eval --model-path $MODEL --output-dir $OUT --test-file @garbage", code: 1, want: []string{"garbage.jsonl:1:"}},
		{name: "eval/duplicate ids", args: "eval --model-path $MODEL --output-dir $OUT --test-file @items_dup", code: 1, want: []string{"items_dup.jsonl:2:", "duplicate id"}},
		{name: "eval/missing config", args: "eval --model-path $MODEL --output-dir $OUT --test-file @items_dup --config @missing_yaml", code: 1, want: []string{"items_dup.jsonl:2:"}},
		{name: "eval/missing model", args: "eval --model-path $DIR/nomodel --test-file @items_dup", code: 1, want: []string{"nomodel"}},

		{name: "pipeline/strong share above 1", args: "pipeline --data-dir $OUT --strong-share 2", code: 2, want: []string{"--strong-share", "2"}},
		{name: "pipeline/unknown benchmark", args: "pipeline --data-dir $OUT --benchmark nope", code: 2, want: []string{"--benchmark", "nope"}},
		{name: "pipeline/train ratio 0", args: "pipeline --data-dir $OUT --train-ratio 0", code: 2, want: []string{"ratio"}},
		{name: "pipeline/missing config", args: "pipeline --data-dir $OUT --config @missing_yaml", code: 1, want: []string{"no_such_config.yaml"}},
		{name: "pipeline/garbage config", args: "pipeline --data-dir $OUT --config @yaml_garbage", code: 1, want: []string{"yaml_garbage.yaml"}},
		{name: "pipeline/negative limit", args: "pipeline --data-dir $OUT --limit -5", code: 2, want: []string{"limit", "-5"}},

		{name: "usage/missing database", args: "usage --db $DIR/nothing.db", code: 1, want: []string{"nothing.db"}},
		{name: "usage/garbage database", args: "usage --db @garbage", code: 1, want: []string{"garbage.jsonl"}},

		{name: "serve/missing config", args: "serve --config @missing_yaml", code: 1, want: []string{"no_such_config.yaml"}},
		{name: "serve/garbage config", args: "serve --config @yaml_garbage", code: 1, want: []string{"yaml_garbage.yaml"}},
		{name: "serve/unknown policy mode", args: "serve --check --config @serve_policy", code: 1, want: []string{"serve_policy.yaml", "cheapest"}},
		{name: "serve/unknown policy label", args: "serve --check --config @serve_label", code: 1, want: []string{"serve_label.yaml", "Cheapest_Query"}},
		{name: "serve/negative budget", args: "serve --check --config @serve_budget", code: 1, want: []string{"serve_budget.yaml", "global_usd"}},
		{name: "serve/threshold above 1", args: "serve --check --config @serve_threshold", code: 1, want: []string{"serve_threshold.yaml", "threshold"}},
		{name: "serve/unknown setting", args: "serve --check --config @serve_typo", code: 1, want: []string{"serve_typo.yaml", "max_body_byte"}},
		{name: "serve/wrong field type", args: "serve --check --config @serve_types", code: 1, want: []string{"serve_types.yaml", "line 1", "lots"}},
		{name: "serve/no config", args: "serve", code: 2, want: []string{"--config"}},

		{name: "any/unknown command", args: "teleport", code: 2, want: []string{"teleport"}},
		{name: "any/unknown flag", args: "split --frobnicate", code: 2, want: []string{"frobnicate"}},
		{name: "any/stray argument", args: "prepare extra", code: 2, want: []string{"extra"}},
	}
}

// expandArgs splits a case's command line (single quotes group) and fills
// in the placeholders.
func expandArgs(t *testing.T, line string, files map[string]string, dir, out, model string) []string {
	t.Helper()
	var args []string
	for _, f := range splitQuoted(line) {
		if strings.HasPrefix(f, "@") {
			p, ok := files[f[1:]]
			if !ok {
				t.Fatalf("no fixture %q", f)
			}
			f = p
		}
		f = strings.ReplaceAll(f, "$DIR", dir)
		f = strings.ReplaceAll(f, "$OUT", out)
		if strings.Contains(f, "$MODEL") {
			f = strings.ReplaceAll(f, "$MODEL", model)
		}
		args = append(args, f)
	}
	return args
}

func splitQuoted(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if f == "''" {
			f = ""
		}
		out = append(out, f)
	}
	return out
}

// TestBadInputCLI feeds every subcommand the catalogue of hostile inputs.
// Each must exit with the documented status (2 for a command-line mistake,
// 1 for bad data), print one line naming the file:line or the setting at
// fault, never panic, and leave earlier outputs in the output dir untouched.
func TestBadInputCLI(t *testing.T) {
	useRealRegistry(t)
	dir := t.TempDir()
	files := badFixtures(t, dir)
	fixed := filepath.Join(dir, "items_trunc_fixed.jsonl")
	if err := os.WriteFile(fixed, []byte(`{"id":"q1","problem":"What is the capital of France?","answer":"Paris","benchmark":"custom"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files["items_trunc_fixed"] = fixed
	model := ""
	for i, tc := range badCLICases() {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.args, "$MODEL") && model == "" {
				model = badModel(t)
			}
			out := filepath.Join(dir, "out", strings.ReplaceAll(tc.name, "/", "_"))
			seedOutputs(t, out, i)
			before := snapshot(t, out)
			args := expandArgs(t, tc.args, files, dir, out, model)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r := runBad(ctx, tc.env, args...)
			if r.panicked != nil {
				t.Fatalf("panic: %v\nargs %q", r.panicked, args)
			}
			line := lastLine(r.stderr)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			prefix := "llmrouter " + args[0] + ": "
			if tc.name == "any/unknown command" {
				prefix = "llmrouter: "
			}
			if !strings.HasPrefix(line, prefix) {
				t.Errorf("error line %q does not start with %q", line, prefix)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("error line does not name %q: %s", w, line)
				}
			}
			if after := snapshot(t, out); !sameFiles(before, after) {
				t.Errorf("a failed %s changed earlier outputs in %s", args[0], out)
			}
		})
	}
}

// seedOutputs fills out with stand-ins for earlier, good results under
// every name a command might write, so the sweep can prove a failure
// never overwrites or truncates them.
func seedOutputs(t *testing.T, out string, i int) {
	t.Helper()
	names := []string{"simpleqa.jsonl", "oracle_dataset.jsonl", "oracle_summary.json", "sft_train.jsonl", "dpo_train.jsonl",
		"comparison.json", "report.html"}
	for _, f := range []string{"empty", "blank", "garbage", "trunc_utf8", "items_huge", "items_types", "items_dup", "items_trunc"} {
		names = append(names, f+"_train.jsonl", f+"_test.jsonl")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		body := []byte(`{"earlier":"result","case":` + strings.Repeat("1", i%7+1) + "}\n")
		if err := os.WriteFile(filepath.Join(out, n), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sameFiles(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
