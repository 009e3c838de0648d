package reliability

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const chatBody = `{"model":"mini","max_tokens":20,"messages":[{"role":"user","content":"What is the capital of France?"}]}`

// TestGatewayAuthEveryEndpoint: with a key configured, every endpoint but
// /healthz answers 401 without a valid key, whatever the method or path
// trickery, and the right key opens each of them.
func TestGatewayAuthEveryEndpoint(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey))
	g := startGateway(t, gatewayYAML(fake, filepath.Join(t.TempDir(), "spend.db"), ""), map[string]string{"GEMINI_API_KEY": upstreamKey})
	endpoints := []struct {
		method, path, body string
		open               bool // reachable without a key
		okStatus           int  // status with the right key
	}{
		{"POST", "/v1/chat/completions", chatBody, false, 200},
		{"GET", "/v1/models", "", false, 200},
		{"GET", "/v1/models/mini", "", false, 200},
		{"GET", "/metrics", "", false, 200},
		{"GET", "/v1/nothing", "", false, 404},
		{"DELETE", "/v1/models/mini", "", false, 0},
		{"GET", "/healthz", "", true, 200},
		{"GET", "/healthz?probe=1", "", true, 200},
	}
	creds := []struct {
		name string
		hdr  []string
		ok   bool
	}{
		{"no key", nil, false},
		{"wrong key", []string{"Authorization", "Bearer not-the-key"}, false},
		{"key prefix", []string{"Authorization", "Bearer " + gatewayKey[:len(gatewayKey)-1]}, false},
		{"key as basic auth", []string{"Authorization", "Basic " + gatewayKey}, false},
		{"key in x-api-key", []string{"X-Api-Key", gatewayKey}, false},
		{"hash of key as key", []string{"Authorization", "Bearer " + hashHex(gatewayKey)}, false},
		{"empty bearer", []string{"Authorization", "Bearer "}, false},
		{"right key", authHdr(), true},
		{"right key, lower-case scheme", []string{"Authorization", "bearer " + gatewayKey}, true},
	}
	for _, e := range endpoints {
		for _, c := range creds {
			t.Run(e.method+" "+e.path+"/"+c.name, func(t *testing.T) {
				status, hdr, body := g.do(e.method, e.path, e.body, c.hdr...)
				switch {
				case !c.ok && !e.open:
					if status != http.StatusUnauthorized || !strings.Contains(body, `"error"`) || hdr.Get("WWW-Authenticate") == "" {
						t.Errorf("status %d, want 401 with an OpenAI error and WWW-Authenticate: %.200s", status, body)
					}
				case e.okStatus != 0 && status != e.okStatus:
					t.Errorf("status %d, want %d: %.200s", status, e.okStatus, body)
				case e.okStatus == 0 && (status == http.StatusUnauthorized || status < 400):
					t.Errorf("status %d for an unsupported method with the right key", status)
				}
			})
		}
	}
	g.stop()
}

// TestGatewayNoSSRF: upstream hosts come only from the config. A request
// that names another host in any body field or header the gateway might
// be tempted to honour must still go to the configured upstream, and the
// other host must never be called.
func TestGatewayNoSSRF(t *testing.T) {
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey))
	evil := upstreamfake.New(t)
	g := startGateway(t, gatewayYAML(fake, filepath.Join(t.TempDir(), "spend.db"), ""), map[string]string{"GEMINI_API_KEY": upstreamKey})
	evilHost := strings.TrimPrefix(evil.URL, "http://")
	bodies := []string{
		`{"model":"mini","base_url":"` + evil.URL + `","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"mini","api_base":"` + evil.URL + `/v1beta","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"mini","extra_body":{"base_url":"` + evil.URL + `"},"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"` + evil.URL + `/v1beta/models/gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"mini@` + evilHost + `","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"mini","metadata":{"upstream":"` + evil.URL + `"},"user":"` + evil.URL + `","messages":[{"role":"user","content":"hi"}]}`,
	}
	headers := [][]string{
		{"X-Forwarded-Host", evilHost},
		{"Host", evilHost},
		{"X-Upstream-Url", evil.URL},
		{"OpenAI-Base-URL", evil.URL},
		{"X-Goog-Api-Base", evil.URL},
		{"Forwarded", "host=" + evilHost},
	}
	for _, b := range bodies {
		status, _, body := g.do("POST", "/v1/chat/completions", b, authHdr()...)
		if status == 0 || status >= 500 {
			t.Errorf("body %.80s: status %d %.200s", b, status, body)
		}
	}
	for _, h := range headers {
		status, _, body := g.do("POST", "/v1/chat/completions", chatBody, append(authHdr(), h...)...)
		if status != 200 {
			t.Errorf("header %s: status %d %.200s", h[0], status, body)
		}
	}
	waitIdle(t, fake)
	if n := evil.Stats().Calls; n != 0 {
		t.Fatalf("the gateway called a host named in a request %d times", n)
	}
	if fake.Stats().Served == 0 {
		t.Fatal("the configured upstream was never called: the test proves nothing")
	}
}

// TestGatewayLimits: oversized bodies get 413, oversized headers 431, and
// a slowloris client (headers trickled a byte at a time, never finished)
// is cut off after read_header_timeout while the gateway keeps serving.
func TestGatewayLimits(t *testing.T) {
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey))
	limits := "limits: {max_body_bytes: 65536, max_header_bytes: 8192, read_header_timeout: 300ms, read_timeout: 2s}\n"
	g := startGateway(t, gatewayYAML(fake, filepath.Join(t.TempDir(), "spend.db"), limits), map[string]string{"GEMINI_API_KEY": upstreamKey})

	big := `{"model":"mini","messages":[{"role":"user","content":"` + strings.Repeat("a", 70000) + `"}]}`
	if status, _, body := g.do("POST", "/v1/chat/completions", big, authHdr()...); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"error"`) {
		t.Errorf("oversized body: status %d %.200s, want 413", status, body)
	}
	if status, _, _ := g.do("GET", "/v1/models", "", append(authHdr(), "X-Big", strings.Repeat("b", 32<<10))...); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized header: status %d, want 431", status)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() {
		// Read until the server closes the connection.
		_, _ = bufio.NewReader(conn).ReadString(0)
		cut <- time.Since(start)
	}()
	head := "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gatewayKey + "\r\nX-Slow: "
	for i := 0; ; i++ {
		select {
		case d := <-cut:
			if d > 3*time.Second {
				t.Errorf("slow client cut off only after %v", d)
			}
			if status, _, _ := g.do("POST", "/v1/chat/completions", chatBody, authHdr()...); status != 200 {
				t.Errorf("gateway stopped serving after the slow client: %d", status)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("slowloris client still connected after 5s")
		}
		_, _ = conn.Write([]byte{head[i%len(head)]})
	}
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
