package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// authenticator checks Bearer keys against configured SHA-256 hashes. The
// gateway never holds a key in clear: it hashes what the client sends and
// compares hashes in constant time, visiting every configured key so the
// time taken does not say which one (if any) matched.
type authenticator struct {
	ids    []string
	hashes [][]byte
}

func newAuthenticator(keys []KeyConfig) *authenticator {
	a := &authenticator{}
	for _, k := range keys {
		h, err := hex.DecodeString(k.SHA256)
		if err != nil || len(h) != sha256.Size {
			continue // Config.Validate rejects these; never match them
		}
		a.ids = append(a.ids, k.ID)
		a.hashes = append(a.hashes, h)
	}
	return a
}

func (a *authenticator) enabled() bool { return len(a.hashes) > 0 }

// match returns the id of the key whose hash equals sha256(key), or "".
func (a *authenticator) match(key string) string {
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i, h := range a.hashes {
		if subtle.ConstantTimeCompare(sum[:], h) == 1 {
			found = i
		}
	}
	if found < 0 {
		return ""
	}
	return a.ids[found]
}

// HashKey returns the hex SHA-256 to put in auth.keys[].sha256 for key;
// the same as `printf %s KEY | sha256sum`.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

type keyIDKey struct{}

// keyIDFrom is the authenticated key's id, or spend.Anonymous.
func keyIDFrom(ctx context.Context) string {
	if id, ok := ctx.Value(keyIDKey{}).(string); ok {
		return id
	}
	return spend.Anonymous
}

// withAuth requires a valid key on every path but /healthz (probes carry
// no credentials) and the dashboard's static files when keys are
// configured; the usage API takes admin keys only (admin.go).
func (s *Server) withAuth(next http.Handler) http.Handler {
	if !s.auth.enabled() && !s.ops.admin.enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authOps(w, r, next) {
			return
		}
		if !s.auth.enabled() {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearer(r.Header.Get("Authorization"))
		var id string
		if ok {
			id = s.auth.match(token)
		}
		if id == "" {
			msg := "missing gateway key: send Authorization: Bearer <key>"
			if ok {
				msg = "invalid gateway key"
			}
			s.unauthorized(w, r, "llmrouter", msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyIDKey{}, id)))
	})
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

// unauthorized answers 401 with the Bearer challenge for realm, counting
// the request: it never reaches a handler that would.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, realm, msg string) {
	s.metrics.request(endpointLabel(r.URL.Path), http.StatusUnauthorized)
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
	s.writeError(w, apierr.New(apierr.Unauthorized, "%s", msg))
}
