// Package tokens estimates token counts offline with tiktoken's cl100k_base
// encoding. The BPE ranks are embedded by tiktoken-go-loader, so nothing is
// fetched at run time. Counts are estimates for any model that does not use
// cl100k_base; callers mark them as such (provider.Usage.Estimated).
package tokens

import (
	"sync"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Encoding is the tiktoken encoding used for every estimate.
const Encoding = "cl100k_base"

var (
	once    sync.Once
	enc     *tiktoken.Tiktoken
	initErr error
)

// load initialises the encoder once. SetBpeLoader is a package global in
// tiktoken-go; setting it here (before any GetEncoding) keeps every caller
// offline without main having to remember it.
func load() {
	once.Do(func() {
		tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
		enc, initErr = tiktoken.GetEncoding(Encoding)
	})
}

// Count returns the number of cl100k_base tokens in text, or the rough
// (len+3)/4 bytes-per-token estimate if the encoder could not be loaded.
// It is safe for concurrent use.
func Count(text string) int {
	if text == "" {
		return 0
	}
	load()
	if initErr != nil || enc == nil {
		return Fallback(text)
	}
	return len(enc.EncodeOrdinary(text))
}

// Fallback is the crude estimate used when the encoder is unavailable.
func Fallback(text string) int { return (len(text) + 3) / 4 }

// Ready reports whether the real encoder loaded, and the error if not.
func Ready() error {
	load()
	return initErr
}
