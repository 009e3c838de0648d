package features

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// analyzeCases cover each characteristic and the edges of the patterns
// Analyze used to express as regular expressions: word boundaries, case
// folding (the long s folds to s), line starts, LaTeX and code shapes.
var analyzeCases = []struct{ name, query string }{
	{"empty", ""},
	{"spaces only", "  \t\n  "},
	{"mmlu", "Which of the following best describes the Krebs cycle?\nA. A catabolic pathway\nB. An anabolic pathway\nC. Both\nD. Neither\nAnswer:"},
	{"mmlu parenthesised choices", "Who wrote Hamlet?\n(A) Marlowe\n(B) Shakespeare\n(C) Jonson\n(D) Kyd"},
	{"choices after blank lines", "Pick one.\n\n\n  B) maybe"},
	{"choice without text", "Pick one.\nA. "},
	{"choice letter E", "Pick one.\nE. five"},
	{"gsm8k", "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"},
	{"math symbols", "What is 12 × 7 ÷ 3?"},
	{"math spaced operator", "Compute 3  +\n 4"},
	{"math word", "Find the INTEGRAL of x."},
	{"math word inside word", "Summary of the products"},
	{"latex inline", "Evaluate $x^2$ at x = 2."},
	{"latex empty dollars", "It costs $$ to go"},
	{"latex frac", "Simplify \\FRAC{a}{b}"},
	{"latex sqrt", "What is \\sqrt{16}?"},
	{"dotted capital I", "İNTEGRAL calculus"},
	{"code fence", "```go\nfmt.Println(1)\n```"},
	{"python def", "def f(x): return x * 2  # what does f(3) return?"},
	{"call then brace", "Why does main() {} fail?"},
	{"call across lines", "What does foo(a,\n b)\n ; do"},
	{"call without letter", "Is (x) {y} a set?"},
	{"call nested parens", "Evaluate g(h(x)) : now"},
	{"arrow", "x => x + 1"},
	{"public static", "Explain public static void main"},
	{"public static glued", "Explain public staticvoid"},
	{"console log", "Why does console.log print undefined?"},
	{"include at start", "#include <stdio.h>"},
	{"include after word", "x#include <stdio.h>"},
	{"sql", "Write SQL for SELECT * FROM t"},
	{"sql lowercase", "write sql for select"},
	{"keywords inside words", "undefined functions classes returned imports coder pythonic"},
	{"multi then", "Do this, THEN that."},
	{"multi long s", "Firſt do this"},
	{"multi and also", "Name a river and  also a lake, and also a sea"},
	{"multi as well as", "Cats as well as dogs"},
	{"multi numbered", "Answer:\n 1. one\n2) two"},
	{"multi numbered no space", "List:\n1.one"},
	{"two questions", "Who? Why?"},
	{"question word apostrophe", "What's the capital of Peru?"},
	{"question word quoted", "\"Who wrote it?\""},
	{"question word paren", "(How many are there)"},
	{"capitalised entities", "Did Marie Curie visit Paris or Ürümqi in 1900? I X"},
	{"unicode digits", "Count ٣ and ३ and 3"},
	{"unicode", "Über die Brücke gehen: was bedeutet das? 日本語のテキスト"},
	{"invalid utf8", "\xff\xfeA1 + 2\x80"},
	{"crlf", "First line\r\nSecond line?\r\n"},
}

func TestAnalyzeGolden(t *testing.T) {
	path := filepath.Join("testdata", "analyze_golden.json")
	got := map[string]Characteristics{}
	for _, tc := range analyzeCases {
		got[tc.name] = Analyze(tc.query)
	}
	var want map[string]Characteristics
	golden.JSON(t, path, got, &want)
	for _, tc := range analyzeCases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := want[tc.name]
			if !ok {
				t.Fatalf("%s has no case %q; run go test -run TestAnalyzeGolden -update", path, tc.name)
			}
			if g := got[tc.name]; g != w {
				t.Errorf("Analyze(%q)\n got %+v\nwant %+v", tc.query, g, w)
			}
		})
	}
}

// analyzeCorpus is every embedded benchmark text: MMLU and GSM8K prompts,
// GSM8K's recorded responses (math, code-like layouts) and SimpleQA.
func analyzeCorpus(tb testing.TB) []string {
	tb.Helper()
	rec, err := dataset.Recorded()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range rec {
		out = append(out, r.Prompt)
		for _, s := range []string{r.CheapResponse, r.StrongResponse} {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	sq, err := dataset.EmbeddedSimpleQA()
	if err != nil {
		tb.Fatal(err)
	}
	for _, it := range sq {
		out = append(out, it.Problem)
	}
	for _, tc := range analyzeCases {
		out = append(out, tc.query)
	}
	return out
}

// TestAnalyzeMatchesReference compares Analyze with the regular-expression
// reference on a stride sample of the embedded corpus (the reference costs
// ~0.4 ms a text); LLMROUTER_ANALYZE_FULL=1 compares all ~20k texts.
func TestAnalyzeMatchesReference(t *testing.T) {
	corpus := analyzeCorpus(t)
	stride := 16
	if os.Getenv("LLMROUTER_ANALYZE_FULL") == "1" {
		stride = 1
	}
	var math, code, choices, multi int
	for i, q := range corpus {
		if i%stride != 0 && i < len(corpus)-len(analyzeCases) {
			continue
		}
		got, want := Analyze(q), analyzeRegexp(q)
		if got != want {
			t.Fatalf("Analyze(%q)\n got %+v\nwant %+v", q, got, want)
		}
		math += b2i(want.HasMath)
		code += b2i(want.HasCode)
		choices += b2i(want.HasChoices)
		multi += b2i(want.MultiPart)
	}
	// The corpus must exercise every pattern for the comparison to mean much.
	if math < 10 || code < 10 || choices < 10 || multi < 10 {
		t.Fatalf("corpus of %d texts misses a pattern: math %d code %d choices %d multi %d", len(corpus), math, code, choices, multi)
	}
	t.Logf("%d texts (every %d): math %d, code %d, choices %d, multi-part %d", len(corpus), stride, math, code, choices, multi)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// benchAnalyzeQuery is an n-word query built from MMLU prompts.
func benchAnalyzeQuery(tb testing.TB, words int) string {
	tb.Helper()
	rec, err := dataset.Recorded()
	if err != nil {
		tb.Fatal(err)
	}
	var w []string
	for i := 0; len(w) < words; i++ {
		w = append(w, strings.Fields(rec[i].Prompt)...)
	}
	return strings.Join(w[:words], " ")
}

func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		q := benchAnalyzeQuery(b, n)
		b.Run("words="+itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Analyze(q)
			}
		})
	}
}

// FuzzAnalyzeMatchesReference checks the scanners against the regular
// expressions on arbitrary text, valid UTF-8 or not.
func FuzzAnalyzeMatchesReference(f *testing.F) {
	for _, tc := range analyzeCases {
		f.Add(tc.query)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if got, want := Analyze(q), analyzeRegexp(q); got != want {
			t.Fatalf("Analyze(%q)\n got %+v\nwant %+v", q, got, want)
		}
	})
}
