package oracle

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
)

// FuzzLoadJournal feeds arbitrary journal bytes to the resume loader: it
// must never panic, and whatever it accepts must leave the file ending at a
// line boundary so appends start clean.
func FuzzLoadJournal(f *testing.F) {
	f.Add([]byte(`{"id":"a","kind":"answer","side":"cheap","model":"m","result":{"text":"x"}}` + "\n"))
	f.Add([]byte(`{"id":"a","kind":"answer","side":"cheap","model":"m","result":{}}` + "\n" + `{"id":"b","ki`))
	f.Add([]byte(`{"id":"a","kind":"grade","side":"strong","model":"j","result":{"grade":"CORRECT"}}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), JournalFile)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		done, err := loadJournal(p, nil)
		if err != nil {
			return
		}
		after, rerr := os.ReadFile(p)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if len(after) > 0 && after[len(after)-1] != '\n' {
			t.Fatalf("journal left without a final newline: %q", after)
		}
		again, err := loadJournal(p, nil)
		if err != nil || len(again) != len(done) {
			t.Fatalf("reload after repair: %d records then %d, %v", len(done), len(again), err)
		}
	})
}

func FuzzParseMatrix(f *testing.F) {
	f.Add(DefaultMatrixYAML())
	f.Add([]byte("cells: [{cheap: CORRECT, strong: CORRECT, policy: Standard_Query}]"))
	f.Add([]byte("cells: {a: 1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMatrix(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, c := range grade.All {
			for _, s := range grade.All {
				if _, err := m.Decide(c, s); err != nil {
					t.Fatalf("accepted matrix lacks %s/%s", c, s)
				}
			}
		}
	})
}
