// Package tokens estimates token counts offline with tiktoken's cl100k_base
// encoding. The BPE ranks are embedded by tiktoken-go-loader, so nothing is
// fetched at run time. Counts are estimates for any model that does not use
// cl100k_base; callers mark them as such (provider.Usage.Estimated).
//
// Counting does not go through tiktoken-go's encoder: its regexp2
// pre-tokeniser costs ~45 µs for a 150-byte prompt. nextPiece is the same
// split written by hand and bpeCount the same merge, over the same ranks;
// the tests check the counts equal tiktoken-go's on the embedded benchmark
// texts and under fuzzing.
package tokens

import (
	"errors"
	"sync"
	"unicode/utf8"

	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Encoding is the tiktoken encoding used for every estimate.
const Encoding = "cl100k_base"

// ranksFile is the loader's embedded asset for Encoding.
const ranksFile = Encoding + ".tiktoken"

var (
	once    sync.Once
	ranks   map[string]int
	initErr error
)

// load reads the BPE ranks once.
func load() {
	once.Do(func() {
		ranks, initErr = tiktoken_loader.NewOfflineLoader().LoadTiktokenBpe(ranksFile)
		if initErr == nil && len(ranks) == 0 {
			initErr = errors.New("tokens: " + ranksFile + " has no ranks")
		}
	})
}

// Count returns the number of cl100k_base tokens in text, or the rough
// (len+3)/4 bytes-per-token estimate if the encoder could not be loaded.
// It is safe for concurrent use and does not allocate on valid UTF-8.
func Count(text string) int {
	if text == "" {
		return 0
	}
	load()
	if initErr != nil {
		return Fallback(text)
	}
	if !utf8.ValidString(text) {
		// tiktoken encodes a []rune copy: each invalid byte becomes U+FFFD.
		text = string([]rune(text))
	}
	n := 0
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		n += bpeCount(text[i:j], ranks)
		i = j
	}
	return n
}

// Fallback is the crude estimate used when the encoder is unavailable.
func Fallback(text string) int { return (len(text) + 3) / 4 }

// Ready reports whether the real encoder loaded, and the error if not.
func Ready() error {
	load()
	return initErr
}
