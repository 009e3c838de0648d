package cascade

import (
	"strconv"
	"strings"
	"testing"
)

func TestCheckArithmetic(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		eqs, wrong int
		lastWrong  bool
	}{
		{"holds", "She has 16 - 3 = 13 eggs left.", 1, 0, false},
		{"does not hold", "She has 16 - 3 = 12 eggs left.", 1, 1, true},
		{"gsm8k annotation", "She makes 9 * $2 = $<<9*2=18>>18.", 1, 0, false},
		{"wrong annotation", "Total <<12+5*3+4*1.5=39>>39 dollars.", 1, 1, true},
		{"chain written as steps", "16 - 3 = 13 - 4 = 9", 2, 0, false},
		{"chain of forms", "2 + 1/2 = 5/2 = 2.5 bolts", 2, 0, false},
		{"rounded decimals", "11 / 8.5 = 1.29 boxes and 1/3 = 0.33", 2, 0, false},
		{"thousands", "$110,400 + $5,000 = $115,400", 1, 0, false},
		{"times x", "Each floor has 15 x 8 = 120 units", 1, 0, false},
		{"unicode operators", "3 × 4 = 12 and 12 ÷ 4 = 3", 2, 0, false},
		{"markdown escaped star", "64 \\* 0.8 = 51.2", 1, 0, false},
		{"percent right side", "(12 / 20) x 100 = 60% of them", 1, 0, false},
		{"percent wrong", "(12 / 20) x 100 = 55%", 1, 1, true},
		{"percent operand", "20% * 50 = 10", 1, 0, false},
		{"parentheses", "7 * (3 + 5) = 56", 1, 0, false},
		{"prose operand skipped", "15 floors * 8 units/floor * 3/4 = 90", 0, 0, false},
		{"no operator", "x = 5 and the total = 12", 0, 0, false},
		{"number from prose dropped", "has 3, 4 + 5 = 9", 1, 0, false},
		{"division by zero ignored", "5 / 0 = 3", 0, 0, false},
		{"last of several wrong", "2 + 2 = 4, 3 + 3 = 7", 2, 1, true},
		{"empty", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := CheckArithmetic(tt.text)
			if a.Equations != tt.eqs || a.Wrong != tt.wrong || a.LastWrong != tt.lastWrong {
				t.Errorf("CheckArithmetic(%q) = %+v, want %d equations, %d wrong, last wrong %v", tt.text, a, tt.eqs, tt.wrong, tt.lastWrong)
			}
		})
	}
}

func TestEvalExpr(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1 + 2 * 3", 7, true},
		{"(1 + 2) * 3", 9, true},
		{"-4 + 10", 6, true},
		{"2 ^ 3", 8, true},
		{"$1,200 / 4", 300, true},
		{"50%", 0.5, true},
		{"1 +", 0, false},
		{"(1 + 2", 0, false},
		{"abc", 0, false},
		{"1,00 + 2", 0, false},
	}
	for _, tt := range tests {
		got, ok := evalExpr(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("evalExpr(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzCheckArithmetic: any text, however hostile, is checked without a
// panic, and never reports more wrong equations than equations.
func FuzzCheckArithmetic(f *testing.F) {
	for _, s := range []string{"16 - 3 = 13", "<<9*2=18>>18", "((((1)))) = 1", "1e308 * 1e308 = 1", "2 ^ 99999 = 1", "= = =", "-(-(-1)) = -1", "5/2 = 2.5 = 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := CheckArithmetic(s)
		if a.Wrong > a.Equations || a.Wrong < 0 {
			t.Fatalf("CheckArithmetic(%q) = %+v", s, a)
		}
		_ = Analyze(s, s)
	})
}

func TestParseDecimalMatchesParseFloat(t *testing.T) {
	for _, s := range []string{"0", "7", "007", "18.0", "0.1", "3.14159", "1,000.50", "123456789012345", "1234567890123456789", "0.000000000000000000000001", "99.999999999999999"} {
		got, ok := parseDecimal(s)
		want, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		if !ok || err != nil || got != want {
			t.Errorf("parseDecimal(%q) = %v, %v; ParseFloat gives %v, %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"", "1.2.3", "1e5", "abc"} {
		if _, ok := parseDecimal(s); ok && s != "" {
			t.Errorf("parseDecimal(%q) accepted", s)
		}
	}
}

func TestSignIsNotArithmetic(t *testing.T) {
	if a := CheckArithmetic("the change is -5 = -5 degrees"); a.Equations != 0 {
		t.Errorf("a signed number alone counted as arithmetic: %+v", a)
	}
}
