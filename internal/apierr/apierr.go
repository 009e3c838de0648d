// Package apierr is the one error type shared by providers, the pipeline and
// the gateway. Its small code set maps to HTTP status, OpenAI error JSON and
// metric labels in one place, so every layer reports failures the same way.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Code classifies an error. Keep the set small: each code needs a status, an
// OpenAI error type and a metric label.
type Code string

const (
	Invalid             Code = "invalid"
	Unauthorized        Code = "unauthorized"
	Forbidden           Code = "forbidden" // an authenticated key may not do this (a model outside its allow-list)
	NotFound            Code = "not_found"
	TooLarge            Code = "too_large"
	BudgetExceeded      Code = "budget_exceeded"
	RateLimitExceeded   Code = "rate_limit_exceeded" // the gateway's own per-key or global rate limit
	UpstreamRateLimited Code = "upstream_rate_limited"
	UpstreamUnavailable Code = "upstream_unavailable"
	UpstreamRejected    Code = "upstream_rejected" // 400/401/403 from an upstream: never retried
	Timeout             Code = "timeout"
	Unavailable         Code = "unavailable" // a store the gateway needs (the shared Redis) is down and the policy is to refuse
	Internal            Code = "internal"
)

// Error carries a code, a human message (never a secret) and optional detail.
type Error struct {
	Code Code
	// Msg is one line for humans. It must never contain an API key.
	Msg string
	// UpstreamStatus is the HTTP status returned by an upstream, if any.
	UpstreamStatus int
	// RetryAfter is the upstream's Retry-After hint, zero when absent.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Msg, e.Err)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an Error.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error around err.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Retryable reports whether a call that failed with err may succeed if retried.
func Retryable(err error) bool {
	switch CodeOf(err) {
	case UpstreamRateLimited, UpstreamUnavailable, Timeout:
		return true
	}
	return false
}

// HTTPStatus maps a code to the status the gateway returns to its client.
func HTTPStatus(c Code) int {
	switch c {
	case Invalid:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case BudgetExceeded, UpstreamRateLimited, RateLimitExceeded:
		return http.StatusTooManyRequests
	case UpstreamUnavailable, UpstreamRejected:
		return http.StatusBadGateway
	case Timeout:
		return http.StatusGatewayTimeout
	case Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// OpenAIType maps a code to the "type" field of an OpenAI error object.
func OpenAIType(c Code) string {
	switch c {
	case Invalid, TooLarge, NotFound:
		return "invalid_request_error"
	case Unauthorized:
		return "authentication_error"
	case BudgetExceeded:
		return "insufficient_quota"
	case UpstreamRateLimited, RateLimitExceeded:
		return "rate_limit_error"
	case Forbidden:
		return "permission_error"
	case Timeout:
		return "timeout_error"
	}
	return "api_error"
}

// OneLine collapses every whitespace run in s to one space and trims it:
// the form an error message takes wherever it is shown (Msg, a log line,
// the CLI's stderr), so that users can grep for it.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
