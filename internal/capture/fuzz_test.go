package capture

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzEncode: any query and message text becomes exactly one JSON line
// that decodes back to the redacted text, with no redact match left.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "plain", "key sk-abcdefgh12 end", "line\nbreak\u2028\"quote\"", "\xff\xfe", "<b>&</b>"} {
		f.Add(s, "user")
	}
	w, err := newWriter(Config{Path: "unused", Conversation: Full, Redact: []string{`sk-[a-z0-9]{8,}`}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text, role string) {
		w.buf.Reset()
		r := row("id", text)
		r.Messages = []Message{{Role: role, Content: text}}
		if !w.encode(&r) {
			t.Fatal("encode failed")
		}
		line := w.buf.Bytes()
		if bytes.IndexByte(line, '\n') != len(line)-1 {
			t.Fatalf("not one line: %q", line)
		}
		var got wireRow
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if !utf8.ValidString(text) {
			return // invalid bytes are written as U+FFFD
		}
		if want := w.scrub(text); got.Query != want || got.Messages[0].Content != want {
			t.Fatalf("decoded %q / %q, want %q", got.Query, got.Messages[0].Content, want)
		}
		if w.redact[0].MatchString(got.Query) {
			t.Fatalf("redacted query still matches: %q", got.Query)
		}
	})
}
