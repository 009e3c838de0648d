package main

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmoke runs every section at a tiny size: it proves the benchmark
// still builds, drives the real packages end to end and writes a report
// and an SVG. The figures are meaningless; `make bench` measures.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke benchmark skipped in -short mode")
	}
	dir := t.TempDir()
	o := options{
		smoke: true, sections: sectionNames,
		out: filepath.Join(dir, "BENCHMARKS.md"), svg: filepath.Join(dir, "curves.svg"), svgLink: "curves.svg",
		workDir: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil)), progress: io.Discard,
	}
	if os.Getenv("LLMROUTER_BENCH_SMOKE_LOG") != "" {
		o.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rep, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sections) != len(sectionNames) {
		t.Fatalf("%d sections, want %d", len(rep.Sections), len(sectionNames))
	}
	for _, s := range rep.Sections {
		if s.Skipped != "" {
			t.Errorf("section %q skipped: %s", s.Title, s.Skipped)
			continue
		}
		if len(s.Tables) == 0 || len(s.Tables[0].Rows) == 0 {
			t.Errorf("section %q has no measurements", s.Title)
		}
		for _, tb := range s.Tables {
			for _, row := range tb.Rows {
				if len(row) != len(tb.Header) {
					t.Errorf("section %q: row %q has %d cells for %d columns", s.Title, row, len(row), len(tb.Header))
				}
			}
		}
	}
	if err := writeReport(rep, o); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(o.out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Router decision latency", "Training cost and scaling", "Oracle generation throughput", "Gateway overhead", "Cascade routing overhead", "JSON encoding and decoding", "Routing quality", "Capture overhead", "Router hot reload", "Drift cost next to routing", "Batch labelling cost", "target met?", "](curves.svg)", "Smoke run"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	checkSVG(t, o.svg)
}

// checkSVG parses the SVG and counts the curves: every router and the
// oracle on each of the two benchmarks.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	lines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if want := 2 * 7; lines != want { // 6 routers + oracle, 2 panels
		t.Fatalf("SVG has %d curves, want %d", lines, want)
	}
}

func TestMainErrRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown section", []string{"-sections", "latency,speed"}, `unknown section "speed"`},
		{"stray argument", []string{"extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mainErr(context.Background(), tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("mainErr(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
