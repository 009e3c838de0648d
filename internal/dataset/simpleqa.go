package dataset

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/llmrouter/llmrouter/internal/pyliteral"
)

// SimpleQAURL is the official location of OpenAI's SimpleQA test set.
const SimpleQAURL = "https://openaipublic.blob.core.windows.net/simple-evals/simple_qa_test_set.csv"

// SimpleQASHA256 is the sha256 of the official SimpleQA CSV; downloads and
// the embedded copy must both match it.
const SimpleQASHA256 = "feee3f7e7db3617e94e8fcf1977b756ec420ef8568f4e0fcbbe0e92e9d5fc032"

//go:embed embedded/simple_qa_test_set.csv.gz
var simpleQAGz []byte

var embeddedSimpleQACSV = sync.OnceValues(func() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(simpleQAGz))
	if err != nil {
		return nil, fmt.Errorf("embedded SimpleQA: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("embedded SimpleQA: %w", err)
	}
	if err := VerifySHA256(raw, SimpleQASHA256); err != nil {
		return nil, fmt.Errorf("embedded SimpleQA: %w", err)
	}
	return raw, nil
})

// EmbeddedSimpleQACSV returns the bytes of the embedded official SimpleQA
// CSV, verified against SimpleQASHA256.
func EmbeddedSimpleQACSV() ([]byte, error) {
	return embeddedSimpleQACSV()
}

// EmbeddedSimpleQA returns the embedded SimpleQA test set as Items.
func EmbeddedSimpleQA() ([]Item, error) {
	raw, err := EmbeddedSimpleQACSV()
	if err != nil {
		return nil, err
	}
	return LoadSimpleQACSV(bytes.NewReader(raw), "embedded/simple_qa_test_set.csv")
}

// VerifySHA256 reports an error unless data hashes to the hex digest want.
func VerifySHA256(data []byte, want string) error {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want) {
		return fmt.Errorf("sha256 mismatch: got %s, want %s", got, want)
	}
	return nil
}

// LoadSimpleQACSV parses a SimpleQA CSV (columns metadata, problem, answer,
// in any order; extra columns ignored). metadata is a Python dict literal
// with topic, answer_type and urls. IDs are simpleqa-<row index>. Errors
// name name:line.
func LoadSimpleQACSV(r io.Reader, name string) ([]Item, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file (no header)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, want := range []string{"metadata", "problem", "answer"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("%s:1: missing column %q (header %q)", name, want, header)
		}
	}
	var items []Item
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		it, err := simpleQAItem(rec, col, len(items))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", name)
	}
	return items, nil
}

func simpleQAItem(rec []string, col map[string]int, index int) (Item, error) {
	field := func(name string) string {
		if i := col[name]; i < len(rec) {
			return rec[i]
		}
		return ""
	}
	it := Item{
		ID:        fmt.Sprintf("simpleqa-%04d", index),
		Problem:   strings.TrimSpace(field("problem")),
		Answer:    strings.TrimSpace(field("answer")),
		Benchmark: "simpleqa",
	}
	if it.Problem == "" {
		return Item{}, errors.New("empty problem")
	}
	if it.Answer == "" {
		return Item{}, errors.New("empty answer")
	}
	meta := strings.TrimSpace(field("metadata"))
	if meta == "" {
		return it, nil
	}
	v, err := pyliteral.Parse(meta)
	if err != nil {
		return Item{}, fmt.Errorf("metadata: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Item{}, fmt.Errorf("metadata: want a dict, got %T", v)
	}
	if it.Topic, err = optString(m, "topic"); err != nil {
		return Item{}, err
	}
	if it.AnswerType, err = optString(m, "answer_type"); err != nil {
		return Item{}, err
	}
	if u, ok := m["urls"]; ok && u != nil {
		list, ok := u.([]any)
		if !ok {
			return Item{}, fmt.Errorf("metadata: urls: want a list, got %T", u)
		}
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return Item{}, fmt.Errorf("metadata: urls[%d]: want a string, got %T", i, e)
			}
			it.URLs = append(it.URLs, s)
		}
	}
	return it, nil
}

func optString(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("metadata: %s: want a string, got %T", key, v)
	}
	return s, nil
}
