package openaiapi

import (
	"errors"
	"fmt"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// FieldError is a client mistake in one request field. It unwraps to an
// *apierr.Error with code Invalid, so callers map it to 400 in the usual way,
// and carries Param so the OpenAI error object can name the field.
type FieldError struct {
	Param string
	Err   *apierr.Error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// invalid builds a FieldError whose message starts with the field's path.
func invalid(param, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if param != "" {
		msg = param + ": " + msg
	}
	return &FieldError{Param: param, Err: &apierr.Error{Code: apierr.Invalid, Msg: msg}}
}

// ParamOf returns the request field an error is about, or "": a
// FieldError's, or the parameter an upstream refused (provider.ParamError).
func ParamOf(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Param
	}
	var pe *provider.ParamError
	if errors.As(err, &pe) {
		return pe.Param
	}
	return ""
}

// NewError builds the OpenAI error envelope for err: its message, the
// OpenAI type for its apierr code, and the field it names if any.
func NewError(err error) ErrorBody {
	code := apierr.CodeOf(err)
	body := ErrorBody{Error: ErrorObject{Message: messageOf(err), Type: apierr.OpenAIType(code)}}
	if p := ParamOf(err); p != "" {
		body.Error.Param = &p
	}
	c := string(code)
	body.Error.Code = &c
	return body
}

// messageOf prefers the apierr message, which is written for clients and
// never carries secrets, over the wrapped chain (which may quote upstream
// bodies). Non-apierr errors get a generic text: their detail is for logs.
func messageOf(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return "internal error"
}
