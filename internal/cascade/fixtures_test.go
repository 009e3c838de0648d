package cascade

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// syntheticExamples makes n seeded rows in GSM8K style where wrong cheap
// answers show the faults the verifier should learn: broken arithmetic,
// hedging, or no final number.
func syntheticExamples(n int) []Example {
	rng := rand.New(rand.NewPCG(7, 11))
	out := make([]Example, n)
	for i := range out {
		a, b := rng.IntN(50)+2, rng.IntN(50)+2
		q := fmt.Sprintf("Tom has %d apples and buys %d more. How many apples does he have?", a, b)
		right := rng.Float64() < 0.65
		var ans string
		switch {
		case right:
			ans = fmt.Sprintf("Tom has %d + %d = %d apples.\n#### %d", a, b, a+b, a+b)
		case i%3 == 0:
			ans = fmt.Sprintf("Tom has %d + %d = %d apples.\n#### %d", a, b, a+b+3, a+b+3)
		case i%3 == 1:
			ans = fmt.Sprintf("I think Tom probably has about %d apples, but I am not sure.", a*b)
		default:
			ans = fmt.Sprintf("Tom starts with %d apples and then buys some more of them.", a)
		}
		out[i] = Example{Query: q, Answer: ans, CheapCorrect: right, StrongCorrect: rng.Float64() < 0.9, QueryScore: math.NaN()}
	}
	return out
}
