package apierr

import "testing"

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"plain":                       "plain",
		"  a\n\tb  \r\n c ":           "a b c",
		"config.yaml:3: bad\n  key":   "config.yaml:3: bad key",
		"already one line, one space": "already one line, one space",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
