package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
)

func runDownload(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "download", "[--output-dir DIR] [--benchmark simpleqa|mmlu|gsm8k|recorded] [--offline] [--url URL] [--timeout 30s]")
	outDir := fs.String("output-dir", "./data/benchmarks", "directory for <benchmark>.jsonl")
	bench := fs.String("benchmark", "simpleqa", "benchmark: simpleqa (live download, embedded fallback), or the embedded recorded outcomes: mmlu, gsm8k, recorded (both)")
	offline := fs.Bool("offline", false, "use the SimpleQA copy embedded in the binary; never touch the network")
	src := fs.String("url", dataset.SimpleQAURL, "SimpleQA CSV source: an http(s) URL, a file:// URL or a local path (must match the official sha256)")
	timeout := fs.Duration("timeout", 30*time.Second, "download timeout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains(dataset.Benchmarks, *bench) {
		return fmt.Errorf("%w: --benchmark %q: want one of %s", errUsage, *bench, strings.Join(dataset.Benchmarks, ", "))
	}
	if *timeout <= 0 {
		return fmt.Errorf("%w: --timeout %v must be positive", errUsage, *timeout)
	}
	if *outDir == "" {
		return fmt.Errorf("%w: --output-dir must not be empty", errUsage)
	}
	items, source, err := dataset.Download(ctx, dataset.DownloadOptions{
		Benchmark: *bench, URL: *src, Offline: *offline, Timeout: *timeout, Log: env.Log,
	})
	if err != nil {
		return err
	}
	path := filepath.Join(*outDir, *bench+".jsonl")
	if err := jsonl.WriteAtomic(path, items); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %d %s items to %s (source: %s)\n", len(items), *bench, path, source)
	return nil
}
