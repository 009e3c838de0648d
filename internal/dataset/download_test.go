package dataset

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func simpleQAServer(t *testing.T, body []byte, delay time.Duration) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if r.URL.Path != "/simple_qa_test_set.csv" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// closedURL returns a URL on which nothing listens, for a refused dial.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/simple_qa_test_set.csv"
}

func TestDownloadSimpleQA(t *testing.T) {
	good, err := EmbeddedSimpleQACSV()
	if err != nil {
		t.Fatal(err)
	}
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-2] ^= 1
	okSrv, okHits := simpleQAServer(t, good, 0)
	badSrv, _ := simpleQAServer(t, tampered, 0)
	slowSrv, _ := simpleQAServer(t, good, 5*time.Second)
	localCopy := filepath.Join(t.TempDir(), "simple_qa_test_set.csv")
	localBad := localCopy + ".bad"
	if err := os.WriteFile(localCopy, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(localBad, tampered, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		opts         DownloadOptions
		wantErr      string
		wantSource   string
		wantFallback bool
	}{
		{"good download", DownloadOptions{URL: okSrv.URL + "/simple_qa_test_set.csv"}, "", okSrv.URL + "/simple_qa_test_set.csv", false},
		{"sha mismatch", DownloadOptions{URL: badSrv.URL + "/simple_qa_test_set.csv"}, "sha256 mismatch", "", false},
		{"http 404", DownloadOptions{URL: okSrv.URL + "/missing.csv"}, "HTTP 404", "", false},
		{"connection refused falls back", DownloadOptions{URL: closedURL(t)}, "", "embedded", true},
		{"timeout falls back", DownloadOptions{URL: slowSrv.URL + "/simple_qa_test_set.csv", Timeout: 50 * time.Millisecond}, "", "embedded", true},
		{"dns failure falls back", DownloadOptions{URL: "http://no-such-host.invalid/x.csv", Timeout: 2 * time.Second}, "", "embedded", true},
		{"offline", DownloadOptions{Offline: true, URL: okSrv.URL + "/simple_qa_test_set.csv"}, "", "embedded", false},
		{"unknown benchmark", DownloadOptions{Benchmark: "hellaswag"}, "unknown benchmark", "", false},
		{"local file", DownloadOptions{URL: localCopy}, "", localCopy, false},
		{"file url", DownloadOptions{URL: "file://" + localCopy}, "", "file://" + localCopy, false},
		{"local file tampered", DownloadOptions{URL: localBad}, "sha256 mismatch", "", false},
		{"local file missing", DownloadOptions{URL: localCopy + ".missing"}, "no such file", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := okHits.Load()
			items, src, err := Download(context.Background(), tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				if items != nil {
					t.Fatal("items returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src.Name != tc.wantSource || src.Fallback != tc.wantFallback {
				t.Fatalf("source = %+v, want %q fallback=%v", src, tc.wantSource, tc.wantFallback)
			}
			if len(items) != 4326 || items[0].ID != "simpleqa-0000" {
				t.Fatalf("got %d items", len(items))
			}
			if tc.opts.Offline && okHits.Load() != before {
				t.Fatal("offline download touched the network")
			}
		})
	}
}

func TestDownloadCancelledDoesNotFallBack(t *testing.T) {
	good, _ := EmbeddedSimpleQACSV()
	slow, _ := simpleQAServer(t, good, 5*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, _, err := Download(ctx, DownloadOptions{URL: slow.URL + "/simple_qa_test_set.csv"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDownloadRecorded(t *testing.T) {
	for _, b := range []string{"mmlu", "gsm8k", "recorded"} {
		items, src, err := Download(context.Background(), DownloadOptions{Benchmark: b, URL: "http://unused.invalid"})
		if err != nil || len(items) == 0 || src.Name != "embedded" {
			t.Fatalf("%s: %d items, source %v, err %v", b, len(items), src, err)
		}
	}
}

func TestNetworkUnreachable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"dns", fmt.Errorf("x: %w", &net.DNSError{Err: "no such host", Name: "h"}), true},
		{"dial", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{"read reset", &net.OpError{Op: "read", Err: errors.New("reset")}, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"other", errors.New("HTTP 500"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NetworkUnreachable(tc.err); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
