package tokens

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// reference is tiktoken-go's own cl100k_base encoder, which Count must
// agree with exactly.
var reference = sync.OnceValues(func() (*tiktoken.Tiktoken, error) {
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
	return tiktoken.GetEncoding(Encoding)
})

func mustReference(tb testing.TB) *tiktoken.Tiktoken {
	tb.Helper()
	enc, err := reference()
	if err != nil {
		tb.Fatalf("tiktoken-go reference encoder: %v", err)
	}
	return enc
}

// edgeTexts exercise each branch of the pre-tokeniser: contractions in any
// case, leading spaces and punctuation before words, digit groups, the
// whitespace alternatives, Unicode letters, numbers, spaces and marks, and
// invalid UTF-8.
var edgeTexts = []string{
	"hello world", "The quick brown fox jumps over the lazy dog.", "12345678",
	"don't I'LL we'Re they've she'd it'S 'm 'x ''s '", "O'Neil's 'quoted'",
	"  leading and trailing  ", "a\n\nb", "a \n \n b", "line\r\nbreak\r\n", "\n", " ", "\t\tx", "x\t", " \u00a0x",
	"tab\tthen\tpunct\t!", "a  !", "a !!\n\n", "?!\r\n\r\nnext", "...", " ...x", "x...",
	"1234567 12 1.5e10 3,000,000", "٣٤٥٦ ⅷ ² ³", "x²+y²", "Ⅻ legion",
	"Ünïcödé wörds, 日本語のテキスト, 한국어, עברית, العربية", "naïve café — “quotes” … ellipsis",
	"emoji 😀👍🏽 and ZWJ 👨‍👩‍👧", "combining e\u0301 and a\u0308", "\u2028sep\u2029", "\u3000ideo space",
	"İstanbul KELVIN \u212a", "ſtraße", "$x^2$ \\frac{a}{b}", "```go\nfunc main() {}\n```",
	"\xff\xfe invalid \x80 bytes", "a\x00b", "\r", "\r\r\n\n\r", "x\v\fy", "\u0085next",
}

func TestCountMatchesTiktoken(t *testing.T) {
	enc := mustReference(t)
	for _, s := range edgeTexts {
		if got, want := Count(s), len(enc.EncodeOrdinary(s)); got != want {
			t.Errorf("Count(%q) = %d, tiktoken-go %d", s, got, want)
		}
	}
}

// benchmarkTexts are the embedded benchmark texts: MMLU and GSM8K prompts,
// the recorded GSM8K answers, and SimpleQA questions and answers.
func benchmarkTexts(tb testing.TB) []string {
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
		out = append(out, it.Problem, it.Answer)
	}
	return out
}

// TestCountMatchesTiktokenOnBenchmarks compares every 8th embedded text
// (tiktoken-go takes ~30 s for all); LLMROUTER_TOKENS_FULL=1 compares all.
func TestCountMatchesTiktokenOnBenchmarks(t *testing.T) {
	enc := mustReference(t)
	texts := benchmarkTexts(t)
	stride := 8
	if os.Getenv("LLMROUTER_TOKENS_FULL") == "1" {
		stride = 1
	}
	n, total := 0, 0
	for i := 0; i < len(texts); i += stride {
		got, want := Count(texts[i]), len(enc.EncodeOrdinary(texts[i]))
		if got != want {
			t.Fatalf("text %d: Count = %d, tiktoken-go %d: %q", i, got, want, texts[i])
		}
		n, total = n+1, total+want
	}
	t.Logf("%d texts, %d tokens: identical counts", n, total)
}

func FuzzCountMatchesTiktoken(f *testing.F) {
	for _, s := range edgeTexts {
		f.Add(s)
	}
	enc := mustReference(f)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Count(s), len(enc.EncodeOrdinary(s)); got != want {
			t.Fatalf("Count(%q) = %d, tiktoken-go %d", s, got, want)
		}
	})
}

func TestCountDoesNotAllocate(t *testing.T) {
	text := strings.Repeat("Natalia sold clips to 48 of her friends in April — naïve café. ", 4)
	Count(text)
	if n := testing.AllocsPerRun(100, func() { Count(text) }); n != 0 {
		t.Errorf("Count allocates %v times per call", n)
	}
}
