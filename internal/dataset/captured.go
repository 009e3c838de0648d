package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/llmrouter/llmrouter/internal/jsonl"
)

// BenchmarkCaptured is the benchmark name of items read from captured
// gateway traffic. They have no gold answer.
const BenchmarkCaptured = "captured"

// Input formats a question file may be in.
const (
	FormatItems    = "items"    // Item rows: id, problem, answer (benchmarks, splits)
	FormatCaptured = "captured" // the gateway's captured traffic: id, query
)

// CapturedRow is one line of the gateway's traffic capture. Readers accept
// unknown fields; only ID and Query are required.
type CapturedRow struct {
	ID string `json:"id"`
	// Query is the routed text: what the router scored.
	Query    string            `json:"query"`
	Time     string            `json:"time,omitempty"`
	Messages []CapturedMessage `json:"messages,omitempty"`
	Model    string            `json:"model,omitempty"`
	Policy   string            `json:"policy,omitempty"`
	Score    *float64          `json:"score,omitempty"`
	KeyID    string            `json:"key_id,omitempty"`
	// RouterVersion is the serving router's training-data sha256.
	RouterVersion string `json:"router_version,omitempty"`
	Source        string `json:"source,omitempty"`
}

// CapturedMessage is one turn of a captured conversation (text only).
type CapturedMessage = Message

// Item is the question the oracle answers. Problem is the routed query,
// since that is what the router learns to score; there is no gold answer.
// The conversation comes along when it holds more than one turn with text
// (earlier turns, a system prompt), so the models answer, and the judge
// compares, with the context the user had; turns without text are left out.
func (r CapturedRow) Item() Item {
	it := Item{ID: r.ID, Problem: r.Query, Benchmark: BenchmarkCaptured}
	var turns []Message
	for _, m := range r.Messages {
		if m.Content != "" {
			turns = append(turns, m)
		}
	}
	if len(turns) > 1 {
		it.Messages = turns
	}
	return it
}

// DecodeCaptured parses one captured line.
func DecodeCaptured(raw []byte) (CapturedRow, error) {
	var r CapturedRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return CapturedRow{}, fmt.Errorf("invalid JSON: %w", err)
	}
	switch {
	case strings.TrimSpace(r.ID) == "":
		return CapturedRow{}, errors.New(`missing field "id"`)
	case strings.TrimSpace(r.Query) == "":
		return CapturedRow{}, errors.New(`missing or empty field "query"`)
	}
	for i, m := range r.Messages {
		if !knownRole(m.Role) {
			return CapturedRow{}, fmt.Errorf("messages[%d]: unknown role %q (want one of %s)", i, m.Role, strings.Join(Roles, ", "))
		}
	}
	return r, nil
}

// conversationKey extends a question's dedup key with every turn of the
// conversation it came with: the same follow-up ("and in Python?") after
// different conversations is two questions. It is "" without messages, so
// such questions keep their key.
func conversationKey(msgs []Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("\x00")
		b.WriteString(m.Role)
		b.WriteString("\x01")
		b.WriteString(NormalizeText(m.Content))
	}
	return b.String()
}

// ReadCaptured reads captured traffic as items. The same question asked
// again (same normalised text, in the same conversation) is kept once, the
// first time, so the oracle does not pay for it twice; dropped counts the
// repeats. A repeated id with
// a different question is an error naming both lines.
func ReadCaptured(path string) (items []Item, dropped int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	idLine := map[string]int{}
	seenText := map[string]bool{}
	err = jsonl.EachLine(f, path, func(line int, raw []byte) error {
		r, err := DecodeCaptured(raw)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		it := r.Item()
		key := dedupeKey(it)
		if prev, dup := idLine[r.ID]; dup && !seenText[key] {
			return fmt.Errorf("%s:%d: id %q was already used on line %d for another query", path, line, r.ID, prev)
		}
		if seenText[key] {
			dropped++
			return nil
		}
		idLine[r.ID] = line
		seenText[key] = true
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(items) == 0 {
		return nil, 0, fmt.Errorf("%s: file is empty (no captured rows)", path)
	}
	return items, dropped, nil
}

// DetectFormat looks at the first non-blank line of path: a row with
// "query" and no "problem" is captured traffic, anything else an item file
// (whose reader reports what is wrong with it).
func DetectFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	return detectFormat(f)
}

func detectFormat(r io.Reader) (string, error) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 {
			var probe map[string]json.RawMessage
			if json.Unmarshal(t, &probe) != nil {
				return FormatItems, nil
			}
			_, query := probe["query"]
			_, problem := probe["problem"]
			if query && !problem {
				return FormatCaptured, nil
			}
			return FormatItems, nil
		}
		if err == io.EOF {
			return FormatItems, nil
		}
		if err != nil {
			return "", fmt.Errorf("read: %w", err)
		}
	}
}

// ReadQuestions reads path in format (FormatItems, FormatCaptured, or
// "" / "auto" to detect it) and returns the items, the format read, and how
// many repeated captured questions were dropped.
func ReadQuestions(path, format string) (items []Item, got string, dropped int, err error) {
	got = format
	if got == "" || got == "auto" {
		if got, err = DetectFormat(path); err != nil {
			return nil, "", 0, err
		}
	}
	switch got {
	case FormatItems:
		items, err = ReadItems(path)
	case FormatCaptured:
		items, dropped, err = ReadCaptured(path)
	default:
		return nil, "", 0, fmt.Errorf("unknown input format %q (want auto, items or captured)", format)
	}
	return items, got, dropped, err
}
