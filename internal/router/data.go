package router

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// example is one SFT row, parsed.
type example struct {
	query  string
	policy int // index in policy.Labels
	cell   int // outcome cell, or -1 when the row has none
	topic  string
	row    int    // index into the unique-query matrix
	answer string // the cheap model's answer, for the cascade verifier
}

// pair is one DPO preference pair, parsed.
type pair struct {
	query             string
	chosen, rejected  int
	row               int
	refChosen, refRej float64 // reference log-probabilities, set before DPO
}

// DataInfo identifies the training data in model.json.
type DataInfo struct {
	// SFTFile and DPOFile are the paths as given to train.
	SFTFile   string `json:"sft_file,omitempty"`
	SFTSHA256 string `json:"sft_sha256"`
	SFTRows   int    `json:"sft_rows"`
	DPOFile   string `json:"dpo_file,omitempty"`
	DPOSHA256 string `json:"dpo_sha256,omitempty"`
	DPORows   int    `json:"dpo_rows"`
	// The N-model router trains on outcome rows instead.
	OutcomesFile   string `json:"outcomes_file,omitempty"`
	OutcomesSHA256 string `json:"outcomes_sha256,omitempty"`
	OutcomeRows    int    `json:"outcome_rows,omitempty"`
}

type trainData struct {
	examples []example
	pairs    []pair
	info     DataInfo
}

// readRows returns rows and the sha256 of the bytes they came from: the
// file itself, or the JSONL encoding of in-memory rows.
func readRows[T any](path string, rows []T) ([]T, string, error) {
	var raw []byte
	if rows != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for i := range rows {
			if err := enc.Encode(rows[i]); err != nil {
				return nil, "", fmt.Errorf("encode row %d: %w", i+1, err)
			}
		}
		raw = buf.Bytes()
	} else {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return nil, "", fmt.Errorf("read training data: %w", err)
		}
		if rows, err = jsonl.Decode[T](bytes.NewReader(raw), path); err != nil {
			return nil, "", err
		}
	}
	sum := sha256.Sum256(raw)
	return rows, hex.EncodeToString(sum[:]), nil
}

func loadData(cfg *TrainConfig) (*trainData, error) {
	sftName := orDefault(cfg.SFTPath, "SFT rows")
	sft, sftSum, err := readRows(cfg.SFTPath, cfg.SFT)
	if err != nil {
		return nil, err
	}
	if len(sft) == 0 {
		return nil, fmt.Errorf("%s: no SFT rows", sftName)
	}
	d := &trainData{info: DataInfo{SFTFile: cfg.SFTPath, SFTSHA256: sftSum, SFTRows: len(sft)}}
	if cfg.SFTPath == "" {
		d.info.SFTFile = ""
	}
	seen := make(map[string]int, len(sft))
	for i, r := range sft {
		ex, err := parseSFT(r)
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", sftName, i+1, err)
		}
		// A repeated id is a merge mistake; it would also let one question
		// sit in both the training and the validation rows.
		if r.ID != "" {
			if j, dup := seen[r.ID]; dup {
				return nil, fmt.Errorf("%s: row %d: duplicate id %q (first in row %d)", sftName, i+1, r.ID, j)
			}
			seen[r.ID] = i + 1
		}
		d.examples = append(d.examples, ex)
	}
	if cfg.DPOPath == "" && cfg.DPO == nil {
		return d, nil
	}
	dpoName := orDefault(cfg.DPOPath, "DPO rows")
	dpo, dpoSum, err := readRows(cfg.DPOPath, cfg.DPO)
	if err != nil {
		return nil, err
	}
	d.info.DPOSHA256, d.info.DPORows = dpoSum, len(dpo)
	if cfg.DPOPath != "" {
		d.info.DPOFile = cfg.DPOPath
	}
	for i, r := range dpo {
		p, err := parseDPO(r)
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", dpoName, i+1, err)
		}
		d.pairs = append(d.pairs, p)
	}
	return d, nil
}

func queryOf(query, prompt string) (string, error) {
	if query != "" {
		return query, nil
	}
	if prompt == "" {
		return "", fmt.Errorf("neither query nor prompt is set")
	}
	return trl.QueryFromPrompt(prompt)
}

func parseSFT(r trl.SFTRow) (example, error) {
	q, err := queryOf(r.Query, r.Prompt)
	if err != nil {
		return example{}, err
	}
	label := r.Policy
	if label == "" {
		label = r.Completion
	}
	pol, err := labelIndex(label)
	if err != nil {
		return example{}, err
	}
	cell, err := parseCell(r.Cell)
	if err != nil {
		return example{}, err
	}
	return example{query: q, policy: pol, cell: cell, topic: r.Topic, answer: r.CheapAnswer}, nil
}

func parseDPO(r trl.DPORow) (pair, error) {
	q, err := queryOf(r.Query, r.Prompt)
	if err != nil {
		return pair{}, err
	}
	c, err := labelIndex(r.Chosen)
	if err != nil {
		return pair{}, fmt.Errorf("chosen: %w", err)
	}
	rej, err := labelIndex(r.Rejected)
	if err != nil {
		return pair{}, fmt.Errorf("rejected: %w", err)
	}
	if c == rej {
		return pair{}, fmt.Errorf("chosen and rejected are both %s", policy.Labels[c])
	}
	return pair{query: q, chosen: c, rejected: rej}, nil
}

func labelIndex(s string) (int, error) {
	s = strings.TrimSpace(s)
	for i, l := range policy.Labels {
		if s == l {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown policy %q (want one of %s)", s, strings.Join(policy.Labels, ", "))
}

// parseCell maps "<cheap grade>/<strong grade>" to an outcome cell; an
// empty cell is -1 (the outcome head then skips the row).
func parseCell(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	cheap, strong, ok := grade.SplitCell(s)
	if !ok {
		return 0, fmt.Errorf("invalid cell %q (want <grade>/<grade> with grades %s)", s, strings.Join(grade.All, ", "))
	}
	c := 0
	if cheap != grade.Correct {
		c += 2
	}
	if strong != grade.Correct {
		c++
	}
	return c, nil
}

// cellCorrect returns the cheap and strong correctness of a cell.
func cellCorrect(cell int) (cheap, strong float64) {
	if cell == cellBothRight || cell == cellCheapOnly {
		cheap = 1
	}
	if cell == cellBothRight || cell == cellStrongOnly {
		strong = 1
	}
	return cheap, strong
}
