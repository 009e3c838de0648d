package features

import "math"

// clipZ is where Transform clips a standardised characteristic: beyond it
// the classifier sees the same input however far out the query lies, so
// the distance past it is distance the model was never trained on.
const clipZ = 5

// Novelty says how unlike the training queries one query is, read from the
// fitted vectorizer alone (no model weights, no stored training vectors).
type Novelty struct {
	// Rarity is the mean rarity of the query's hashed n-grams, weighted by
	// count: a bucket's rarity is (idf−1)/ln(1+N), so a bucket in every
	// training query scores 0, one in a single query almost 1, and a
	// bucket no training query touched exactly 1.
	Rarity float64
	// Excess sums, over the standardised characteristics, how many
	// training standard deviations each lies beyond Transform's ±5 clip.
	Excess float64
	// Grams is the number of hashed n-grams counted (0: no tokens).
	Grams int
}

// noveltyAcc accumulates the n-gram part of a Novelty over a query's
// buckets; Novelty and TransformNovelty share it, so both give the same
// bits.
type noveltyAcc struct {
	mass   float64 // n-gram count
	unseen float64 // count in buckets no training query touched
	seen   float64 // Σ count × (idf − 1) over the other buckets
}

func (a *noveltyAcc) add(count, idf float32) {
	c := float64(count)
	a.mass += c
	if idf == 0 {
		a.unseen += c
	} else {
		a.seen += c * float64(idf-1)
	}
}

// novelty finishes a Novelty from the accumulated buckets and the raw
// characteristics left in sc by extract.
func (v *Vectorizer) novelty(a noveltyAcc, sc *scratch) Novelty {
	n := Novelty{Grams: int(a.mass)}
	if a.mass > 0 {
		n.Rarity = min((a.seen/math.Log(1+float64(v.docs))+a.unseen)/a.mass, 1)
	}
	for k, x := range sc.dense {
		z := math.Abs(x-v.denseMean[k]) / v.denseStd[k]
		if z > clipZ {
			n.Excess += z - clipZ
		}
	}
	return n
}

// Novelty measures query (truncated as Transform truncates it). It does
// not allocate once the internal pool is warm and is safe for concurrent
// use. TransformNovelty gives the same with the feature vector, in one
// extraction.
func (v *Vectorizer) Novelty(query string) Novelty {
	sc := v.getScratch()
	v.cfg.extract(Truncate(query, v.cfg.MaxQueryBytes), sc)
	var acc noveltyAcc
	for _, b := range sc.touched {
		acc.add(sc.counts[b], v.idf[b])
		sc.counts[b] = 0
	}
	sc.touched = sc.touched[:0]
	n := v.novelty(acc, sc)
	v.pool.Put(sc)
	return n
}

// TransformNovelty is Transform that also measures the query's Novelty
// into nov, from the same extraction: a router reporting drift with every
// decision pays for one tokenisation, not two.
func (v *Vectorizer) TransformNovelty(query string, out *Vector, nov *Novelty) {
	v.transform(query, out, nov)
}

// TrainingRarity is the Rarity a typical training query has, estimated
// from the IDF alone: the mean bucket rarity weighted by document
// frequency (df recovered from idf = ln((1+N)/(1+df)) + 1). A query's
// Rarity is read against it, so the same rarity means the same thing for
// a model fitted on 1,000 queries or on 100,000.
func (v *Vectorizer) TrainingRarity() float64 {
	n := float64(v.docs)
	norm := 1 / math.Log(1+n)
	var dfSum, rareSum float64
	for _, idf := range v.idf {
		if idf == 0 {
			continue
		}
		e := float64(idf) - 1
		df := (1+n)/math.Exp(e) - 1
		if df <= 0 {
			continue
		}
		dfSum += df
		rareSum += df * e * norm
	}
	if dfSum == 0 {
		return 0
	}
	return rareSum / dfSum
}
