package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// access says which keys a path takes.
type access int

const (
	clientAccess access = iota // chat and models: client keys
	openAccess                 // /healthz and the dashboard's static files: none
	adminAccess                // the usage API: admin keys
	eitherAccess               // /metrics: a client or an admin key
)

func accessFor(path string) access {
	switch {
	case path == "/healthz", path == "/readyz", path == "/ui", strings.HasPrefix(path, "/ui/"):
		// The dashboard's files hold no data: the page asks for the admin
		// key and sends it to the usage API, which checks it.
		return openAccess
	case path == "/v1/usage", strings.HasPrefix(path, "/v1/usage/"):
		return adminAccess
	case path == "/metrics":
		return eitherAccess
	}
	return clientAccess
}

// authOps answers the paths that are not the client keys' alone and
// reports whether it did: open paths pass, usage paths need an admin key,
// /metrics takes an admin key as well as a client one.
func (s *Server) authOps(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	switch accessFor(r.URL.Path) {
	case openAccess:
		next.ServeHTTP(w, r)
		return true
	case adminAccess:
		if !s.ops.admin.enabled() {
			s.metrics.request(endpointLabel(r.URL.Path), http.StatusForbidden)
			s.writeError(w, apierr.New(apierr.Forbidden,
				"the usage API and dashboard need an admin key: add one to auth.admin_keys (client keys cannot read usage)"))
			return true
		}
		id := s.adminKey(w, r)
		if id != "" {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyIDKey{}, id)))
		}
		return true
	case eitherAccess:
		if token, ok := bearer(r.Header.Get("Authorization")); ok {
			if id := s.ops.admin.match(token); id != "" {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyIDKey{}, id)))
				return true
			}
		}
	}
	return false
}

// adminKey returns the id of the admin key r carries, or answers 401 and
// returns "".
func (s *Server) adminKey(w http.ResponseWriter, r *http.Request) string {
	token, ok := bearer(r.Header.Get("Authorization"))
	if ok {
		if id := s.ops.admin.match(token); id != "" {
			return id
		}
	}
	msg := "missing admin key: send Authorization: Bearer <admin key>"
	if ok {
		msg = "invalid admin key (client keys cannot read usage)"
	}
	s.unauthorized(w, r, "llmrouter-admin", msg)
	return ""
}
