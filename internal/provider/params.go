package provider

import (
	"fmt"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// ParamError is a request parameter an upstream cannot honour without
// changing the answer materially (Gemini has no logit_bias, for one). It
// unwraps to an apierr.Invalid error, so the gateway answers 400 and does
// not try a fallback model with the same request, and it names the
// parameter so the OpenAI error object's param can say which.
type ParamError struct {
	Param string
	Err   *apierr.Error
}

func (e *ParamError) Error() string { return e.Err.Error() }
func (e *ParamError) Unwrap() error { return e.Err }

// UnsupportedParam builds a ParamError whose message starts with param.
func UnsupportedParam(param, format string, args ...any) *ParamError {
	return &ParamError{Param: param, Err: apierr.New(apierr.Invalid, "%s: %s", param, fmt.Sprintf(format, args...))}
}
