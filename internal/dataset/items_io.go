package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/llmrouter/llmrouter/internal/jsonl"
)

// ReadItems reads a benchmark or split JSONL file of Items, checking each
// line has an id and a problem and that ids are unique. Errors name
// file:line. An empty file is an error.
func ReadItems(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var items []Item
	firstLine := map[string]int{}
	err = jsonl.EachLine(f, path, func(line int, raw []byte) error {
		it, err := decodeItem(raw)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if prev, dup := firstLine[it.ID]; dup {
			return fmt.Errorf("%s:%d: duplicate id %q (first on line %d)", path, line, it.ID, prev)
		}
		firstLine[it.ID] = line
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: file is empty (no JSON lines)", path)
	}
	return items, nil
}

func decodeItem(raw []byte) (Item, error) {
	var it Item
	if err := json.Unmarshal(raw, &it); err != nil {
		return Item{}, fmt.Errorf("invalid JSON: %w", err)
	}
	switch {
	case strings.TrimSpace(it.ID) == "":
		return Item{}, errors.New(`missing field "id"`)
	case strings.TrimSpace(it.Problem) == "":
		return Item{}, errors.New(`missing field "problem"`)
	}
	for i, m := range it.Messages {
		if !knownRole(m.Role) {
			return Item{}, fmt.Errorf("messages[%d]: unknown role %q (want one of %s)", i, m.Role, strings.Join(Roles, ", "))
		}
	}
	return it, nil
}
