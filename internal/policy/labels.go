// Package policy holds the router's policy labels and the mappers that turn
// a policy into a model (the original's "flexible policy mapping").
package policy

// The three policies the router predicts. The names are the original's.
const (
	Standard  = "Standard_Query"
	Complex   = "Complex_Query"
	Ambiguous = "Ambiguous_Query"
)

// Labels is the fixed label order used by the classifier and saved models.
var Labels = []string{Standard, Complex, Ambiguous}

// Valid reports whether s is a known policy.
func Valid(s string) bool {
	for _, l := range Labels {
		if l == s {
			return true
		}
	}
	return false
}
