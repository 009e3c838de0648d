package wirejson

import (
	"bytes"
	"encoding/json"
	"math"
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

var stringSeeds = []string{
	"", "plain", "a\"b\\c", "<script>&amp;</script>", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
	"naïve → café 😀", "\u2028\u2029", "bad \xff\xfe utf8 \xc3", "\xed\xa0\x80", "12345678<", "1234567\u2028x",
	strings.Repeat("long plain text ", 20), "0123456789abcdef\x01",
}

func TestAppendStringMatchesMarshal(t *testing.T) {
	for _, s := range stringSeeds {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, json.Marshal = %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); !bytes.Equal(got[1:], want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal = %s", s, got[1:], want)
		}
	})
}

func TestAppendFloatMatchesMarshal(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.2, 0.7, 1.0 / 3, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789e15, -2.5e-9, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1)} {
		want, _ := json.Marshal(f)
		got, err := AppendFloat(nil, f)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, %v; json.Marshal = %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, want := json.Marshal(f)
		if _, err := AppendFloat(nil, f); err == nil || err.Error() != want.Error() {
			t.Errorf("AppendFloat(%v) error = %v, want %v", f, err, want)
		}
	}
}

func FuzzAppendFloat(f *testing.F) {
	f.Add(0.2)
	f.Add(1e21)
	f.Add(-3e-7)
	f.Fuzz(func(t *testing.T, v float64) {
		want, werr := json.Marshal(v)
		got, err := AppendFloat(nil, v)
		if (err == nil) != (werr == nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("AppendFloat(%v) = %s, %v; json.Marshal = %s, %v", v, got, err, want, werr)
		}
	})
}
