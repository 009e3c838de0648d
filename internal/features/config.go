package features

import (
	"errors"
	"fmt"
)

// FeatureVersion identifies the feature extraction algorithm: tokenisation,
// hashing, n-gram scheme, dense characteristics and their order. Bump it on
// any change that alters the vector of some query; models saved with another
// version refuse to load rather than silently score garbage.
const FeatureVersion = 1

// DefaultMaxQueryBytes is the documented truncation: only the first 8 KiB of
// a query (cut back to a UTF-8 boundary) are vectorised. Router inputs are
// questions; the head of a long prompt carries the routing signal, and the
// bound keeps a 1 MB prompt at a fixed, small cost.
const DefaultMaxQueryBytes = 8 << 10

// maxQueryBytesLimit caps what a config may ask for, so a hand-edited
// model.json cannot reintroduce unbounded work per request.
const maxQueryBytesLimit = 256 << 10

// Config describes how text becomes a vector. It is saved with every model.
type Config struct {
	// Version must equal FeatureVersion.
	Version int `json:"version"`
	// HashBits sets the hashed n-gram space to 2^HashBits buckets: the lower
	// half holds word n-grams, the upper half character n-grams.
	HashBits int `json:"hash_bits"`
	// WordNgramMin..WordNgramMax word n-grams (1..2: unigrams and bigrams).
	WordNgramMin int `json:"word_ngram_min"`
	WordNgramMax int `json:"word_ngram_max"`
	// CharNgramMin..CharNgramMax character n-grams inside space-padded words
	// (scikit-learn's char_wb); CharNgramMax 0 disables them.
	CharNgramMin int `json:"char_ngram_min"`
	CharNgramMax int `json:"char_ngram_max"`
	// SublinearTF uses 1+ln(tf) instead of raw counts.
	SublinearTF bool `json:"sublinear_tf"`
	// Dense appends the standardised query characteristics.
	Dense bool `json:"dense"`
	// DenseScale multiplies the standardised characteristics so they sit on
	// the same scale as the L2-normalised n-gram blocks.
	DenseScale float64 `json:"dense_scale"`
	// MaxQueryBytes truncates queries before extraction (see
	// DefaultMaxQueryBytes).
	MaxQueryBytes int `json:"max_query_bytes"`
}

// DefaultConfig is the configuration the router trains with by default.
func DefaultConfig() Config {
	return Config{
		Version:       FeatureVersion,
		HashBits:      16,
		WordNgramMin:  1,
		WordNgramMax:  2,
		CharNgramMin:  3,
		CharNgramMax:  5,
		SublinearTF:   true,
		Dense:         true,
		DenseScale:    0.2,
		MaxQueryBytes: DefaultMaxQueryBytes,
	}
}

// ErrVersion reports a config written by another feature version.
var ErrVersion = errors.New("unsupported feature version")

// Validate checks every field, naming the offending one.
func (c Config) Validate() error {
	if c.Version != FeatureVersion {
		return fmt.Errorf("%w: model uses feature version %d, this build uses %d; retrain the model with 'llmrouter train'", ErrVersion, c.Version, FeatureVersion)
	}
	switch {
	case c.HashBits < 8 || c.HashBits > 24:
		return fmt.Errorf("feature config: hash_bits %d outside [8, 24]", c.HashBits)
	case c.WordNgramMin < 1 || c.WordNgramMax < c.WordNgramMin || c.WordNgramMax > 3:
		return fmt.Errorf("feature config: word n-gram range [%d, %d] invalid (want 1 <= min <= max <= 3)", c.WordNgramMin, c.WordNgramMax)
	case c.CharNgramMax != 0 && (c.CharNgramMin < 1 || c.CharNgramMax < c.CharNgramMin || c.CharNgramMax > 8):
		return fmt.Errorf("feature config: char n-gram range [%d, %d] invalid (want 1 <= min <= max <= 8, or max 0)", c.CharNgramMin, c.CharNgramMax)
	case c.MaxQueryBytes < 16 || c.MaxQueryBytes > maxQueryBytesLimit:
		return fmt.Errorf("feature config: max_query_bytes %d outside [16, %d]", c.MaxQueryBytes, maxQueryBytesLimit)
	case c.DenseScale < 0 || c.DenseScale > 100:
		return fmt.Errorf("feature config: dense_scale %g outside [0, 100]", c.DenseScale)
	}
	return nil
}

// Dim is the length of the feature space: hashed buckets plus, when
// enabled, the dense characteristics.
func (c Config) Dim() int {
	d := 1 << c.HashBits
	if c.Dense {
		d += NumDense
	}
	return d
}
