// Command llmrouter routes each LLM query to the cheapest model that will
// answer it well. Its subcommands are the stages of the learning pipeline
// (download, split, oracle, prepare, train, calibrate, eval, pipeline) and
// the router in use (route, serve, usage).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Env is what a subcommand may touch of the outside world, injected so tests
// can run commands in-process.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Log            *slog.Logger
	Getenv         func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the subcommand table; each lives in its own cmd_<name>.go.
var commands = map[string]command{
	"download":  {"download a benchmark (SimpleQA, or the embedded recorded MMLU/GSM8K outcomes) to JSONL", runDownload},
	"split":     {"split a benchmark into deterministic, topic-stratified train/test files", runSplit},
	"oracle":    {"answer with both models, grade blindly, and label each question with a policy", runOracle},
	"prepare":   {"write TRL-format SFT and DPO training files from the oracle dataset", runPrepare},
	"train":     {"train the router (SFT, then DPO) on a CPU", runTrain},
	"calibrate": {"find the score threshold that sends a given share of queries to the strong model", runCalibrate},
	"route":     {"route a query or a batch of queries, optionally end to end", runRoute},
	"eval":      {"evaluate the router on the test split against baselines", runEval},
	"pipeline":  {"run download → split → oracle → prepare → train → calibrate → eval", runPipeline},
	"serve":     {"run the OpenAI-compatible routing gateway", runServe},
	"usage":     {"print recorded spend by model, policy, key and day", runUsage},
	"version":   {"print the version", runVersion},
}

// errUsage marks a command-line mistake: exit status 2, not 1.
var errUsage = errors.New("usage error")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv}
	os.Exit(run(ctx, os.Args[1:], env))
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, env *Env) int {
	if env.Log == nil {
		env.Log = newLogger(env.Stderr, env.Getenv("LLMROUTER_LOG_FORMAT"), env.Getenv("LLMROUTER_LOG_LEVEL"))
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printHelp(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "llmrouter: unknown command %q (run 'llmrouter help')\n", args[0])
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "llmrouter %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "llmrouter %s: %s\n", args[0], apierr.OneLine(err.Error()))
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "llmrouter %s: send each LLM query to the cheapest model that answers it well.\n\nUsage: llmrouter <command> [flags]\n\nCommands:\n", version)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'llmrouter <command> -h' for a command's flags.\n")
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil || level == "" {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: llmrouter %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping flag errors to errUsage and rejecting
// stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// envInt reads a whole-number default for a flag from the environment
// (BENCHMARK_LIMIT, EVAL_LIMIT, SFT_EPOCHS, DPO_EPOCHS); unset or blank is
// def, and a malformed value is a usage error rather than a silent default.
func envInt(env *Env, name string, def int) (int, error) {
	v := strings.TrimSpace(env.Getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: environment %s=%q: want a whole number >= 0", errUsage, name, v)
	}
	return n, nil
}

func runVersion(_ context.Context, env *Env, _ []string) error {
	fmt.Fprintf(env.Stdout, "llmrouter %s\n", version)
	return nil
}
