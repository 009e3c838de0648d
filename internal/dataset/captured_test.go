package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const capturedSample = `{"id":"r1","time":"2026-12-04T22:50:00.123Z","query":"What is 2+2?","model":"gemini-2.5-flash","policy":"Standard_Query","score":0.42,"key_id":"team-a","router_version":"ab12","source":"captured"}

{"id":"r2","query":"Summarise the plot of Hamlet","messages":[{"role":"user","content":"[image] Summarise the plot of Hamlet"}],"model":"gemini-2.5-pro","policy":"Complex_Query","key_id":"team-b","source":"captured","new_field":{"x":1}}
{"id":"r3","query":"  what is 2+2? ","model":"gemini-2.5-flash"}
{"id":"r1","query":"What is 2+2?"}
`

func TestReadCaptured(t *testing.T) {
	items, dropped, err := ReadCaptured(writeFile(t, capturedSample))
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{ID: "r1", Problem: "What is 2+2?", Benchmark: BenchmarkCaptured},
		{ID: "r2", Problem: "Summarise the plot of Hamlet", Benchmark: BenchmarkCaptured},
	}
	if !reflect.DeepEqual(items, want) || dropped != 2 {
		t.Fatalf("got %+v, dropped %d", items, dropped)
	}
}

// Queries with no letters or digits are told apart by their raw text, as
// Dedupe does, rather than all colliding on an empty normal form.
func TestReadCapturedPunctuationOnly(t *testing.T) {
	items, dropped, err := ReadCaptured(writeFile(t, `{"id":"a","query":"???"}
{"id":"b","query":"!!!"}
{"id":"c","query":" ??? "}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Problem != "???" || items[1].Problem != "!!!" || dropped != 1 {
		t.Fatalf("got %+v, dropped %d; want ??? and !!!, one repeat dropped", items, dropped)
	}
}

func TestReadCapturedErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"no query", `{"id":"a","model":"m"}` + "\n", "in.jsonl:1: missing or empty field \"query\""},
		{"blank query", `{"id":"a","query":"  "}` + "\n", "in.jsonl:1: missing or empty field \"query\""},
		{"no id", `{"query":"q"}` + "\n", `in.jsonl:1: missing field "id"`},
		{"bad json", "{\"id\":\"a\",\"query\":\"q\"}\n{oops\n", "in.jsonl:2: invalid JSON"},
		{"id reused", "{\"id\":\"a\",\"query\":\"q1\"}\n{\"id\":\"a\",\"query\":\"q2\"}\n", `in.jsonl:2: id "a" was already used on line 1`},
		{"empty", "\n\n", "file is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadCaptured(writeFile(t, tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDetectAndReadQuestions(t *testing.T) {
	items := `{"id":"q1","problem":"What is 2+2?","answer":"4"}` + "\n"
	both := `{"id":"q1","problem":"What is 2+2?","query":"x","answer":"4"}` + "\n"
	for _, tc := range []struct{ name, body, format, want string }{
		{"captured", capturedSample, "auto", FormatCaptured},
		{"items", items, "", FormatItems},
		{"problem wins", both, "auto", FormatItems},
		{"forced", capturedSample, FormatCaptured, FormatCaptured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, format, _, err := ReadQuestions(writeFile(t, tc.body), tc.format)
			if err != nil || format != tc.want || len(got) == 0 {
				t.Fatalf("format %q, %d items, %v; want %q", format, len(got), err, tc.want)
			}
		})
	}
	// Forcing the wrong format fails with the reader's own message.
	if _, _, _, err := ReadQuestions(writeFile(t, capturedSample), FormatItems); err == nil || !strings.Contains(err.Error(), `missing field "problem"`) {
		t.Fatalf("err %v", err)
	}
	if _, _, _, err := ReadQuestions(writeFile(t, items), "csv"); err == nil || !strings.Contains(err.Error(), `unknown input format "csv"`) {
		t.Fatalf("err %v", err)
	}
}

// Items from rows without a conversation, or with only the routed turn,
// encode exactly as before conversations were carried.
func TestCapturedItemBytesWithoutConversation(t *testing.T) {
	items, _, err := ReadCaptured(writeFile(t, capturedSample))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, it := range items {
		raw, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
		b.WriteByte('\n')
	}
	want := `{"id":"r1","problem":"What is 2+2?","answer":"","benchmark":"captured"}
{"id":"r2","problem":"Summarise the plot of Hamlet","answer":"","benchmark":"captured"}
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

const capturedConversations = `{"id":"a1","query":"and in Python?","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Reverse a list in Go?"},{"role":"assistant","content":"slices.Reverse(s)"},{"role":"assistant","content":""},{"role":"user","content":"and in Python?"}]}
{"id":"a2","query":"and in Python?","messages":[{"role":"user","content":"Reverse a vector in Rust?"},{"role":"assistant","content":"v.reverse()"},{"role":"user","content":"and in Python?"}]}
{"id":"a3","query":"AND in python","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Reverse a list in Go?"},{"role":"assistant","content":"slices.Reverse(s)"},{"role":"user","content":"and in Python?"}]}
{"id":"a4","query":"and in Python?"}
`

// The same follow-up after different conversations is two questions; the
// same conversation again is a repeat; turns without text are dropped.
func TestReadCapturedConversations(t *testing.T) {
	items, dropped, err := ReadCaptured(writeFile(t, capturedConversations))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || dropped != 1 || items[0].ID != "a1" || items[1].ID != "a2" || items[2].ID != "a4" {
		t.Fatalf("items %+v, dropped %d", items, dropped)
	}
	want := []Message{{"system", "Be brief."}, {"user", "Reverse a list in Go?"}, {"assistant", "slices.Reverse(s)"}, {"user", "and in Python?"}}
	if !reflect.DeepEqual(items[0].Messages, want) || items[0].Problem != "and in Python?" || items[2].Messages != nil {
		t.Fatalf("items %+v", items)
	}
	d0, d1 := items[0].ConversationDigest(), items[1].ConversationDigest()
	if d0 == "" || d0 == d1 || items[2].ConversationDigest() != "" || d0 != items[0].ConversationDigest() {
		t.Fatalf("digests %q %q", d0, d1)
	}
	// Dedupe agrees with the reader; the stable split puts one routed text
	// on one side, whatever conversation it came in.
	if kept, n := Dedupe(items); len(kept) != 3 || n != 0 {
		t.Fatalf("Dedupe kept %d, dropped %d", len(kept), n)
	}
	for seed := range uint64(20) {
		train, test, _ := SplitStable(items, 0.5, seed)
		if len(train) != 0 && len(test) != 0 {
			t.Fatalf("seed %d: one routed text on both sides: %d train, %d test", seed, len(train), len(test))
		}
	}
	if _, _, err := ReadCaptured(writeFile(t, `{"id":"x","query":"q","messages":[{"role":"wizard","content":"q"}]}`+"\n")); err == nil ||
		!strings.Contains(err.Error(), `in.jsonl:1: messages[0]: unknown role "wizard"`) {
		t.Fatalf("unknown role: %v", err)
	}
}

func FuzzDecodeCaptured(f *testing.F) {
	f.Add([]byte(`{"id":"r1","query":"q","score":0.5,"messages":[{"role":"user","content":"q"}]}`))
	f.Add([]byte(`{"id":"r1","query":"q","messages":[{"role":"system","content":"s"},{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"user","content":"q"}]}`))
	f.Add([]byte(`{"id":"","query":"q"}`))
	f.Add([]byte(`{"query":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := DecodeCaptured(raw)
		if err != nil {
			return
		}
		it := r.Item()
		if strings.TrimSpace(it.ID) == "" || strings.TrimSpace(it.Problem) == "" || it.Benchmark != BenchmarkCaptured || it.Answer != "" {
			t.Fatalf("DecodeCaptured(%q) accepted an unusable row: %+v", raw, it)
		}
		for _, m := range it.Messages {
			if m.Content == "" || !knownRole(m.Role) {
				t.Fatalf("DecodeCaptured(%q) carried turn %+v", raw, m)
			}
		}
		if len(it.Messages) == 1 || (len(it.Messages) == 0) != (it.ConversationDigest() == "") {
			t.Fatalf("DecodeCaptured(%q): %d turns, digest %q", raw, len(it.Messages), it.ConversationDigest())
		}
		if _, err := detectFormat(strings.NewReader(string(raw))); err != nil {
			t.Fatalf("detectFormat(%q): %v", raw, err)
		}
	})
}

// FuzzReadCaptured: whatever two captured lines hold, the reader returns
// unique ids, never two items with the same question and conversation,
// and counts every line as kept or dropped.
func FuzzReadCaptured(f *testing.F) {
	f.Add(`{"id":"a","query":"q","messages":[{"role":"user","content":"x"},{"role":"user","content":"q"}]}`, `{"id":"b","query":"Q"}`)
	f.Add(`{"id":"a","query":"q"}`, `{"id":"a","query":"q","messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]}`)
	f.Fuzz(func(t *testing.T, l1, l2 string) {
		if strings.ContainsAny(l1+l2, "\n\r") || strings.TrimSpace(l1) == "" || strings.TrimSpace(l2) == "" {
			return // one line each; blank lines are skipped, not rows
		}
		items, dropped, err := ReadCaptured(writeFile(t, l1+"\n"+l2+"\n"))
		if err != nil {
			return
		}
		if len(items)+dropped != 2 {
			t.Fatalf("%d items + %d dropped from two lines", len(items), dropped)
		}
		if len(items) == 2 {
			if items[0].ID == items[1].ID {
				t.Fatalf("id %q twice", items[0].ID)
			}
			if NormalizeText(items[0].Problem)+conversationKey(items[0].Messages) == NormalizeText(items[1].Problem)+conversationKey(items[1].Messages) {
				t.Fatalf("the same question twice: %+v", items)
			}
		}
	})
}
