package server

import (
	"embed"
	"io/fs"
	"net/http"
)

// uiFiles is the dashboard: one page, its script and its stylesheet,
// written by hand and served as they are (no build step, nothing fetched
// from elsewhere).
//
//go:embed ui/index.html ui/app.js ui/app.css
var uiFiles embed.FS

// uiHeaders keep the page to its own files: no inline script, no other
// origin, no framing.
func uiHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// opsRoutes adds the dashboard and the usage API.
func (s *Server) opsRoutes(mux *http.ServeMux) {
	sub, _ := fs.Sub(uiFiles, "ui") // a constant path inside the embed: cannot fail
	files := http.FileServerFS(sub)
	mux.HandleFunc("GET /ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusMovedPermanently)
	})
	mux.Handle("GET /ui/", http.StripPrefix("/ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uiHeaders(w.Header())
		files.ServeHTTP(w, r)
		s.metrics.request("/ui", http.StatusOK)
	})))
	mux.HandleFunc("GET /v1/usage/{view}", s.handleUsage)
}
