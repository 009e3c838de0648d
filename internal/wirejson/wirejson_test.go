package wirejson

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonSeeds = []string{
	`{"a":1}`, `[]`, `{}`, ` null `, `true`, `false`, `"x"`, `-0.5e+10`, `0`, `01`, `1.`, `1e`, `-`, `.5`,
	`{"a":[1,2,{"b":null}],"c":"d\u00e9\n"}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `"\x"`, `"\u12"`,
	"\"a\x01b\"", `"\ud83d\ude00"`, `"\ud83d"`, `"\udc00\ud83d"`, "\"\xff\xfe\"", `{"a":"b"} x`, `nul`, `tru`,
	`"<>&\u2028"`, "\"\u2028\u2029\"", `"abcdefgh\"ijklmnop"`, `"abcdefghijklmnopqrstuvwxyz0123456789\\"`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%.40q) = %v, json.Valid = %v", s, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}

// FuzzUnquote checks that every string token the scanner accepts decodes
// to what encoding/json makes of it.
func FuzzUnquote(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '"' {
			b = append([]byte{'"'}, append(b, '"')...)
		}
		end, _, ok := ScanString(b, 0)
		var want string
		err := json.Unmarshal(b, &want)
		if ok && SkipSpace(b, end) == len(b) {
			b = b[:end]
			if err != nil {
				t.Fatalf("ScanString accepted %q, encoding/json says %v", b, err)
			}
			if got := Unquote(b); got != want {
				t.Fatalf("Unquote(%q) = %q, want %q", b, got, want)
			}
			if got := UnquoteIn(string(b), b, 0); got != want {
				t.Fatalf("UnquoteIn(%q) = %q, want %q", b, got, want)
			}
		} else if err == nil {
			t.Fatalf("ScanString rejected %q (end %d), encoding/json accepts it", b, end)
		}
	})
}
