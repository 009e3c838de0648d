package openaiapi

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// plainString must agree with encoding/json on every valid JSON value it
// accepts, and decline everything with escapes.
func TestPlainString(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
		ok       bool
	}{
		{"plain", `"What is 2+2?"`, "What is 2+2?", true},
		{"empty", `""`, "", true},
		{"padded", " \"hi\"\n", "hi", true},
		{"unicode", `"naïve → café"`, "naïve → café", true},
		{"escaped quote", `"say \"hi\""`, "", false},
		{"escaped unicode", `"\u00e9"`, "", false},
		{"number", `42`, "", false},
		{"null", `null`, "", false},
		{"lone quote", `"`, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := plainString(json.RawMessage(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Fatalf("plainString(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"abc"`, `""`, `"a\"b"`, `"\u0041"`, ` "x" `, `1`, `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) {
			return // ParseChatRequest rejects these before any field is read
		}
		got, ok := plainString(data)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("plainString accepted %q, which is not a JSON string: %v", data, err)
		}
		if got != want {
			t.Fatalf("plainString(%q) = %q, encoding/json says %q", data, got, want)
		}
	})
}
