package pyliteral

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePyLiteral(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"simpleqa metadata", `{'topic': 'Art', 'answer_type': 'Person', 'urls': ['https://a.org/x?y=1', "https://b.org/it's"]}`,
			map[string]any{"topic": "Art", "answer_type": "Person", "urls": []any{"https://a.org/x?y=1", "https://b.org/it's"}}},
		{"escapes", `'it\'s \"q\" \\ \n\t\x41\u00e9\U0001F600\101\q'`, "it's \"q\" \\ \n\tAé😀A\\q"},
		{"double quotes", `"a'b"`, "a'b"},
		{"prefixes", `[u'x', r'a\'b\n']`, []any{"x", `a\'b\n`}},
		{"utf8 passthrough", `'Zoë – 東京'`, "Zoë – 東京"},
		{"numbers", `[1, -2.5, 3e2, +4, .5]`, []any{1.0, -2.5, 300.0, 4.0, 0.5}},
		{"constants", `(True, False, None,)`, []any{true, false, nil}},
		{"empty containers", ` { 'a' : [ ] , 'b': {} } `, map[string]any{"a": []any{}, "b": map[string]any{}}},
		{"trailing commas", `{'a': [1,],}`, map[string]any{"a": []any{1.0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestParsePyLiteralErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", ``, "unexpected end"},
		{"unterminated string", `'abc`, "unterminated string"},
		{"unterminated dict", `{'a': 1`, "missing"},
		{"missing colon", `{'a' 1}`, "want ':'"},
		{"non-string key", `{1: 2}`, "dict key must be a string"},
		{"missing comma", `[1 2]`, "want ','"},
		{"trailing garbage", `[1] x`, "after value"},
		{"identifier", `Truex`, "unexpected"},
		{"call is not a literal", `__import__('os')`, "unexpected"},
		{"bad number", `1.2.3`, "invalid number"},
		{"bad hex escape", `'\xZZ'`, "invalid"},
		{"truncated unicode", `'\u12'`, "truncated"},
		{"rune out of range", `'\UFFFFFFFF'`, "invalid"},
		{"newline in string", "'a\nb'", "newline"},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParsePyLiteral(f *testing.F) {
	for _, s := range []string{
		`{'topic': 'Art', 'answer_type': 'Person', 'urls': ['https://x']}`,
		`'\x41\u00e9\101'`, `(1, -2.5e3, True, None)`, `{"a": [r'\'', u"b"]}`, `[[[[]]]]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		checkPyValue(t, v)
	})
}

func checkPyValue(t *testing.T, v any) {
	switch x := v.(type) {
	case nil, bool, float64, string:
	case []any:
		for _, e := range x {
			checkPyValue(t, e)
		}
	case map[string]any:
		for _, e := range x {
			checkPyValue(t, e)
		}
	default:
		t.Fatalf("unexpected type %T", v)
	}
}
