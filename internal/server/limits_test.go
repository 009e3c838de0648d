package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveReal runs the gateway on a real listener (httptest's server does
// not apply our http.Server limits) and stops it at cleanup.
func serveReal(t *testing.T, yaml string) string {
	t.Helper()
	g := startGW(t, yaml)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

// TestSlowlorisIsCut: a client that never finishes its headers is
// disconnected after read_header_timeout.
func TestSlowlorisIsCut(t *testing.T) {
	addr := serveReal(t, baseYAML+"limits: {read_header_timeout: 200ms}\n")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = bufio.NewReader(conn).ReadString('\n')
	if err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("slow client not cut off: err=%v after %v", err, time.Since(start))
	}
}

func TestHeaderLimit(t *testing.T) {
	addr := serveReal(t, baseYAML+"limits: {max_header_bytes: 4096}\n")
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
}
