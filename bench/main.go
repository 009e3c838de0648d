// Command bench measures llmrouter's speed, scale and routing quality and
// writes BENCHMARKS.md: router decision latency, training cost and scaling,
// oracle throughput against a rate-limited fake upstream, gateway overhead
// under open-loop load, cascade overhead, the JSON steps of a request, and
// routing quality on the recorded MMLU and GSM8K test splits, with a
// cost–quality SVG; then, from the Go benchmarks and tests next to the
// code they measure, capture's and drift's cost per request, the router
// reload time and the cost of batch labelling (gotest.go).
//
//	go run ./bench                    # full run, about 5 minutes on 2 cores
//	go run ./bench -smoke -out /tmp/b.md
//
// Long benchmarks never run in CI; TestSmoke runs every section at a tiny
// size instead.
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
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/dataset"
)

// sectionNames in report order.
var sectionNames = []string{"latency", "training", "oracle", "gateway", "cascade", "json", "quality", "operations",
	"capture", "reload", "drift", "batch"}

// sectionTitles are the sections' headings, which -merge finds them by.
var sectionTitles = map[string]string{
	"latency": "Router decision latency", "training": "Training cost and scaling", "oracle": "Oracle generation throughput",
	"gateway": "Gateway overhead", "cascade": "Cascade routing overhead", "json": "JSON encoding and decoding",
	"quality": "Routing quality", "operations": "Operations: usage API and rate limits",
	"capture": "Capture overhead", "reload": "Router hot reload", "drift": "Drift cost next to routing",
	"batch": "Batch labelling cost",
}

// options configure one benchmark run.
type options struct {
	smoke     bool
	sections  []string
	merge     bool   // replace only the measured sections of an existing out
	out       string // BENCHMARKS.md path
	svg       string // curve SVG path
	svgLink   string // how the Markdown refers to the SVG
	llmrouter string // gateway binary; empty builds ./cmd/llmrouter or runs in-process
	workDir   string
	log       *slog.Logger
	progress  io.Writer
}

func main() {
	if isChild() {
		os.Exit(runChild())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := mainErr(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

func mainErr(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	var sections string
	fs.BoolVar(&o.smoke, "smoke", false, "tiny sizes: prove every section works in seconds (figures meaningless)")
	fs.StringVar(&sections, "sections", strings.Join(sectionNames, ","), "comma-separated sections to run: "+strings.Join(sectionNames, ", "))
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "Markdown report to write")
	fs.BoolVar(&o.merge, "merge", false, "replace only the measured sections in the existing -out, keeping the others (with -sections)")
	fs.StringVar(&o.svg, "svg", "bench/quality_curves.svg", "cost–quality curve SVG to write")
	fs.StringVar(&o.llmrouter, "llmrouter", "", "llmrouter binary whose 'serve' is load-tested (default: go build ./cmd/llmrouter)")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, s := range strings.Split(sections, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(sectionNames, s) {
			return fmt.Errorf("-sections: unknown section %q (want %s)", s, strings.Join(sectionNames, ", "))
		}
		o.sections = append(o.sections, s)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	o.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.progress = stderr
	rel, err := filepath.Rel(filepath.Dir(absPath(o.out)), absPath(o.svg))
	if err != nil {
		rel = o.svg
	}
	o.svgLink = filepath.ToSlash(rel)
	tmp, err := os.MkdirTemp("", "llmrouter-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o.workDir = tmp
	rep, err := run(ctx, o)
	if err != nil {
		return err
	}
	return writeReport(rep, o)
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// bench is the shared state of one run.
type bench struct {
	opts  options
	data  *dataCache
	start time.Time
	tests testBinaries
}

// run executes the selected sections in dependency-friendly order and
// returns the report in the order sectionNames lists.
func run(ctx context.Context, o options) (*Report, error) {
	b := &bench{opts: o, data: newDataCache(o.workDir, o.log), start: time.Now()}
	rep := &Report{Machine: detectMachine(b.start), Mode: "full"}
	if o.smoke {
		rep.Mode = "smoke"
	}
	if _, err := dataset.Recorded(); err != nil {
		return nil, fmt.Errorf("load the embedded recorded benchmark: %w", err)
	}
	funcs := map[string]func(context.Context) (*Section, error){
		"latency": b.latency, "training": b.training, "oracle": b.oracleThroughput,
		"gateway": b.gateway, "cascade": b.cascade, "json": b.jsonSection, "quality": b.quality,
		"operations": b.operations, "capture": b.captureSection, "reload": b.reloadSection,
		"drift": b.driftSection, "batch": b.batchSection,
	}
	for _, name := range sectionNames {
		if !slices.Contains(o.sections, name) {
			continue
		}
		t := time.Now()
		o.log.Info("section starting", "section", name)
		s, err := funcs[name](ctx)
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", name, err)
		}
		o.log.Info("section done", "section", name, "took", time.Since(t).Round(time.Millisecond))
		if s.Title != sectionTitles[name] {
			return nil, fmt.Errorf("section %s is titled %q, but sectionTitles says %q", name, s.Title, sectionTitles[name])
		}
		rep.Sections = append(rep.Sections, s)
	}
	rep.Took = time.Since(b.start)
	rep.Machine.LoadEnd = loadAvg()
	return rep, nil
}

func writeReport(rep *Report, o options) error {
	var sb strings.Builder
	if err := rep.WriteMarkdown(&sb); err != nil {
		return err
	}
	if o.merge {
		old, err := os.ReadFile(o.out)
		if err != nil {
			return fmt.Errorf("-merge: %w", err)
		}
		merged, err := mergeMarkdown(string(old), rep, o.sections)
		if err != nil {
			return fmt.Errorf("-merge into %s: %w", o.out, err)
		}
		sb.Reset()
		sb.WriteString(merged)
	}
	if err := os.MkdirAll(filepath.Dir(absPath(o.out)), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(o.out, func(w io.Writer) error {
		_, err := io.WriteString(w, sb.String())
		return err
	}); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	o.log.Info("report written", "path", o.out, "took", rep.Took.Round(time.Second))
	return nil
}

// size picks the full or the smoke value.
func (b *bench) size(full, smoke int) int {
	if b.opts.smoke {
		return smoke
	}
	return full
}

func (b *bench) dur(full, smoke time.Duration) time.Duration {
	if b.opts.smoke {
		return smoke
	}
	return full
}

// smokeItems is how many questions of each split half a smoke run uses.
var smokeItems = map[bool]int{false: 100, true: 40}[raceBuild]
