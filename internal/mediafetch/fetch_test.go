package mediafetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRefusals(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("png"))
	}))
	defer ts.Close()
	port := ts.Listener.Addr().String()
	port = port[strings.LastIndex(port, ":"):]
	f := New(Config{FetchRemote: true, Timeout: time.Second,
		AllowHosts: []string{"localhost", "127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "[::1]", "::1"}})
	for _, tc := range []struct{ name, url, want string }{
		{"loopback by allow-listed name", "https://localhost" + port + "/a.png", "loopback"},
		{"loopback literal", "https://127.0.0.1" + port + "/a.png", "loopback"},
		{"IPv6 loopback", "https://[::1]" + port + "/a.png", "loopback"},
		{"private", "https://10.0.0.1/a.png", "private"},
		{"private 192.168", "https://192.168.1.1/a.png", "private"},
		{"link-local metadata", "https://169.254.169.254/latest", "link-local"},
		{"not allow-listed", "https://example.com/a.png", "allow_hosts"},
		{"plain http", "http://localhost" + port + "/a.png", "only https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.DataURL(context.Background(), tc.url)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s: %v, want refused naming %q", tc.url, err, tc.want)
			}
		})
	}
}

func TestCheckAddrAllowsPublic(t *testing.T) {
	if err := checkAddr("93.184.216.34:443"); err != nil {
		t.Fatal(err)
	}
	if New(Config{}) != nil {
		t.Fatal("fetching must be off by default")
	}
}

// TestFetch fetches from a test server with the address check lifted
// (it listens on loopback), as a data: URL, and enforces the size cap.
func TestFetch(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("png"))
	}))
	defer ts.Close()
	u, _ := url.Parse(ts.URL)
	for _, max := range []int64{3, 2} {
		f := New(Config{FetchRemote: true, AllowHosts: []string{u.Hostname()}, MaxBytes: max, Timeout: time.Second})
		f.check = func(string) error { return nil }
		f.client.Transport.(*http.Transport).TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig
		got, err := f.DataURL(context.Background(), ts.URL+"/a.png")
		switch {
		case max == 3 && (err != nil || got != "data:image/png;base64,cG5n"):
			t.Errorf("got %q, %v", got, err)
		case max == 2 && !errors.Is(err, ErrRefused):
			t.Errorf("over the cap: %q, %v", got, err)
		}
	}
}
