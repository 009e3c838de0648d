package catalog

import (
	"strings"
	"testing"
)

func TestBatchDiscount(t *testing.T) {
	c, err := ParseCatalogue([]byte("models:\n  m: {provider: gemini, price: {input: 1, output: 4}, batch_discount: 0.5}\n  n: {provider: gemini, price: {input: 1, output: 4}}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := c.Models["m"].BatchPrice(); !ok || p != (Price{Input: 0.5, Output: 2}) {
		t.Errorf("m: %+v %v, want half price", p, ok)
	}
	if _, ok := c.Models["n"].BatchPrice(); ok {
		t.Error("n has no batch_discount but got a batch price")
	}
	for _, bad := range []string{"1.5", "-0.1", ".nan"} {
		_, err := ParseCatalogue([]byte("models:\n  m: {provider: gemini, price: {input: 1, output: 4}, batch_discount: "+bad+"}\n"), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), "models.m: batch_discount") {
			t.Errorf("batch_discount %s: %v, want an error naming models.m batch_discount", bad, err)
		}
	}
	def, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range def.Models {
		if _, ok := m.BatchPrice(); ok != (m.Provider != "replay") {
			t.Errorf("built-in %s (%s): batch price %v", name, m.Provider, ok)
		}
	}
}
