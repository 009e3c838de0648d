package features

import (
	"os"
	"slices"
	"testing"
)

// extractConfigs are the default and a few other valid n-gram settings.
func extractConfigs() map[string]Config {
	def := DefaultConfig()
	wide, narrow, noChar, trigram := def, def, def, def
	wide.CharNgramMin, wide.CharNgramMax, wide.WordNgramMax = 1, 8, 3
	narrow.CharNgramMin, narrow.CharNgramMax, narrow.HashBits = 2, 4, 10
	noChar.CharNgramMax = 0
	trigram.CharNgramMin, trigram.CharNgramMax, trigram.WordNgramMin, trigram.WordNgramMax = 3, 3, 2, 3
	return map[string]Config{"default": def, "wide": wide, "narrow": narrow, "no char": noChar, "trigram": trigram}
}

// sameExtraction runs the fast and the reference extraction on q and
// reports the first difference.
func sameExtraction(tb testing.TB, cfg Config, q string, fast, ref *scratch) {
	tb.Helper()
	q = Truncate(q, cfg.MaxQueryBytes)
	cfg.extract(q, fast)
	cfg.extractRef(q, ref)
	defer func() {
		for _, sc := range []*scratch{fast, ref} {
			for _, b := range sc.touched {
				sc.counts[b] = 0
			}
			sc.touched = sc.touched[:0]
		}
	}()
	if !slices.Equal(fast.touched, ref.touched) {
		tb.Fatalf("%q: touched buckets differ\n fast %v\n  ref %v", q, fast.touched, ref.touched)
	}
	for _, b := range ref.touched {
		if fast.counts[b] != ref.counts[b] {
			tb.Fatalf("%q: bucket %d count %v, reference %v", q, b, fast.counts[b], ref.counts[b])
		}
	}
	if fast.dense != ref.dense {
		tb.Fatalf("%q: dense %v, reference %v", q, fast.dense, ref.dense)
	}
}

// TestExtractMatchesReference compares the extraction with the reference
// on a stride sample of the embedded benchmark texts (every 4th for the
// default configuration, every 20th for the others) for several
// configurations; LLMROUTER_ANALYZE_FULL=1 compares every text.
func TestExtractMatchesReference(t *testing.T) {
	corpus := append(analyzeCorpus(t), trainQueries...)
	full := os.Getenv("LLMROUTER_ANALYZE_FULL") == "1"
	for name, cfg := range extractConfigs() {
		t.Run(name, func(t *testing.T) {
			stride := 20
			if name == "default" {
				stride = 4
			}
			if full {
				stride = 1
			}
			fast, ref := newScratch(cfg.HashBits), newScratch(cfg.HashBits)
			for i, q := range corpus {
				if i%stride != 0 && i < len(corpus)-len(trainQueries) {
					continue
				}
				sameExtraction(t, cfg, q, fast, ref)
			}
		})
	}
}

func FuzzExtractMatchesReference(f *testing.F) {
	for _, q := range trainQueries {
		f.Add(q)
	}
	for _, tc := range analyzeCases {
		f.Add(tc.query)
	}
	cfgs := extractConfigs()
	f.Fuzz(func(t *testing.T, q string) {
		for _, cfg := range cfgs {
			sameExtraction(t, cfg, q, newScratch(cfg.HashBits), newScratch(cfg.HashBits))
		}
	})
}
