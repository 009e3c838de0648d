// Command gen regenerates the data embedded in internal/dataset/embedded from
// the read-only shared data directory. It is a development tool: the product
// never reads ../shared at run time, only these committed, compressed copies.
//
//	go run ./internal/dataset/gen -shared ../shared/data
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/solution"
)

const (
	cheapCol  = "mistralai/Mixtral-8x7B-Instruct-v0.1"
	strongCol = "gpt-4-1106-preview"
)

func main() {
	shared := flag.String("shared", "../shared/data", "shared data directory (holds simpleqa/ and routellm/)")
	out := flag.String("out", "internal/dataset/embedded", "output directory")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *shared, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, shared, out string) error {
	csvBytes, err := os.ReadFile(filepath.Join(shared, "simpleqa", "simple_qa_test_set.csv"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(csvBytes)
	if got := hex.EncodeToString(sum[:]); got != dataset.SimpleQASHA256 {
		return fmt.Errorf("simpleqa csv sha256 %s, want %s", got, dataset.SimpleQASHA256)
	}
	if err := writeGzip(filepath.Join(out, "simple_qa_test_set.csv.gz"), csvBytes); err != nil {
		return err
	}
	items, stats, err := buildRecorded(filepath.Join(shared, "routellm"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range items {
		if err := enc.Encode(&items[i]); err != nil {
			return err
		}
	}
	if err := writeGzip(filepath.Join(out, "recorded.jsonl.gz"), buf.Bytes()); err != nil {
		return err
	}
	log.Info("generated embedded data", "recorded_items", len(items),
		"gsm8k_both_correct", stats.bothCorrect, "gsm8k_both_extracted", stats.bothExtracted,
		"gsm8k_final_numbers_agree", stats.agree, "gsm8k_with_gold", stats.withGold)
	return nil
}

// writeGzip writes a reproducible gzip stream: no name and a zero mtime in
// the header, so regenerating from the same input gives the same bytes.
func writeGzip(path string, data []byte) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(data); err != nil {
			return err
		}
		return zw.Close()
	})
}

type gsmStats struct{ bothCorrect, bothExtracted, agree, withGold int }

func buildRecorded(dir string) ([]dataset.RecordedItem, gsmStats, error) {
	var items []dataset.RecordedItem
	files, err := filepath.Glob(filepath.Join(dir, "mmlu", "mmlu_*.csv"))
	if err != nil {
		return nil, gsmStats{}, err
	}
	if len(files) == 0 {
		return nil, gsmStats{}, fmt.Errorf("no mmlu_*.csv files in %s", filepath.Join(dir, "mmlu"))
	}
	sort.Strings(files)
	for _, f := range files {
		subject := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "mmlu_"), ".csv")
		rows, err := readCSV(f, []string{"prompt", cheapCol, strongCol})
		if err != nil {
			return nil, gsmStats{}, err
		}
		for i, r := range rows {
			items = append(items, dataset.RecordedItem{
				ID: fmt.Sprintf("mmlu-%s-%04d", subject, i), Benchmark: "mmlu", Subject: subject,
				Prompt: r.prompt, CheapCorrect: r.cheap, StrongCorrect: r.strong,
			})
		}
	}
	gsm, stats, err := buildGSM8K(filepath.Join(dir, "gsm8k", "gsm8k_responses.csv"))
	if err != nil {
		return nil, gsmStats{}, err
	}
	return append(items, gsm...), stats, nil
}

func buildGSM8K(path string) ([]dataset.RecordedItem, gsmStats, error) {
	rows, err := readCSV(path, []string{"prompt", cheapCol, strongCol, cheapCol + "_response", strongCol + "_response"})
	if err != nil {
		return nil, gsmStats{}, err
	}
	var st gsmStats
	items := make([]dataset.RecordedItem, 0, len(rows))
	for i, r := range rows {
		it := dataset.RecordedItem{
			ID: fmt.Sprintf("gsm8k-%04d", i), Benchmark: "gsm8k", Prompt: r.prompt,
			CheapCorrect: r.cheap, StrongCorrect: r.strong,
			CheapResponse: r.cheapResp, StrongResponse: r.strongResp,
		}
		it.Gold = dataset.GoldFromResponses(it)
		if it.Gold != "" {
			st.withGold++
		}
		if r.cheap && r.strong {
			st.bothCorrect++
			a, okA := solution.FinalNumber(r.cheapResp)
			b, okB := solution.FinalNumber(r.strongResp)
			if okA && okB {
				st.bothExtracted++
				if a == b {
					st.agree++
				}
			}
		}
		items = append(items, it)
	}
	return items, st, nil
}

type row struct {
	prompt                string
	cheap, strong         bool
	cheapResp, strongResp string
}

// readCSV reads a RouteLLM CSV whose header must be exactly cols.
func readCSV(path string, cols []string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = len(cols)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	if strings.Join(header, ",") != strings.Join(cols, ",") {
		return nil, fmt.Errorf("%s: header %q, want %q", path, header, cols)
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r := row{prompt: rec[0]}
		if r.cheap, err = parseBool(rec[1]); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", path, line, cols[1], err)
		}
		if r.strong, err = parseBool(rec[2]); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", path, line, cols[2], err)
		}
		if len(rec) == 5 {
			r.cheapResp, r.strongResp = rec[3], rec[4]
		}
		rows = append(rows, r)
	}
}

func parseBool(s string) (bool, error) {
	switch s {
	case "True":
		return true, nil
	case "False":
		return false, nil
	}
	return false, fmt.Errorf("want True or False, got %q", s)
}
