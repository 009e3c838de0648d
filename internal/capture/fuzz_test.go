package capture

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// jsonRow is the row format as encoding/json writes it: the reference the
// hand-written encoder is held to.
type jsonRow struct {
	ID            string    `json:"id"`
	Time          string    `json:"time"`
	Query         string    `json:"query"`
	Messages      []Message `json:"messages,omitempty"`
	Model         string    `json:"model"`
	Policy        string    `json:"policy"`
	Score         *float64  `json:"score,omitempty"`
	KeyID         string    `json:"key_id"`
	RouterVersion string    `json:"router_version"`
	Source        string    `json:"source"`
}

// FuzzEncode: any texts and score give exactly encoding/json's line (HTML
// escaping off), with the redact patterns applied and none left matching.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "plain", "key sk-abcdefgh12 end", "line\nbreak\u2028\u2029\"quote\"\\", "\xff\xfe\x00\x1f\x7f", "<b>&</b>", "\b\f\r\t é 😀"} {
		f.Add(s, "user", 0.42, int64(1764888600123456789))
	}
	f.Add("q", "", 1e-7, int64(0))
	f.Add("q", "", 1e21, int64(-1))
	f.Add("q", "", -0.0, int64(1))
	w, err := newWriter(Config{Path: "unused", Conversation: Full, Redact: []string{`sk-[a-z0-9]{8,}`}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text, role string, score float64, nanos int64) {
		r := Row{ID: text, Time: time.Unix(0, nanos), Query: text, Model: role, Policy: text, KeyID: role,
			RouterVersion: text, Messages: []Message{{Role: role, Content: text}, {Role: "user", Content: "x"}}}
		finite := !math.IsNaN(score) && !math.IsInf(score, 0)
		if finite {
			r.Score = &score
		}
		got := w.appendRow(nil, &r)

		ref := jsonRow{ID: r.ID, Time: r.Time.UTC().Format(timeLayout), Query: w.scrub(text), Model: role, Policy: text,
			Score: r.Score, KeyID: role, RouterVersion: text, Source: Source,
			Messages: []Message{{Role: role, Content: w.scrub(text)}, {Role: "user", Content: "x"}}}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&ref); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("got  %s\nwant %s", got, want.Bytes())
		}
		var back jsonRow
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		if w.redact[0].MatchString(back.Query) {
			t.Fatalf("redacted query still matches: %q", back.Query)
		}
	})
}
