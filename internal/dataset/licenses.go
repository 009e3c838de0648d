package dataset

import (
	_ "embed"
	"strings"
)

// The licence texts travel inside the binary with the data they cover: the
// MIT licence requires its notice in every copy, and Apache-2.0 §4 a copy of
// the licence with any redistribution.
var (
	//go:embed embedded/LICENSE.simpleqa
	licenseSimpleQA string
	//go:embed embedded/LICENSE.routellm
	licenseRouteLLM string
)

// DataNotice returns the attribution and licence texts of the embedded
// benchmark data, for a --licenses style output.
func DataNotice() string {
	var b strings.Builder
	b.WriteString("SimpleQA test set, OpenAI simple-evals (" + SimpleQAURL + "), embedded unchanged (gzip):\n\n")
	b.WriteString(licenseSimpleQA)
	b.WriteString("\nRouteLLM evaluation data, lm-sys/RouteLLM (https://github.com/lm-sys/RouteLLM), converted to JSON lines; some rows of the original not included:\n\n")
	b.WriteString(licenseRouteLLM)
	return b.String()
}
