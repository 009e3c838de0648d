package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/llmrouter/llmrouter/internal/capture"
	"github.com/llmrouter/llmrouter/internal/router"
)

// capturedRow is the agreed captured-traffic row.
type capturedRow struct {
	ID            string `json:"id"`
	Time          string `json:"time"`
	Query         string `json:"query"`
	Messages      []struct{ Role, Content string }
	Model         string   `json:"model"`
	Policy        string   `json:"policy"`
	Score         *float64 `json:"score"`
	KeyID         string   `json:"key_id"`
	RouterVersion string   `json:"router_version"`
	Source        string   `json:"source"`
}

// waitCaptured polls path until it holds n rows (the writer flushes in the
// background) and returns them and the raw file.
func waitCaptured(t *testing.T, path string, n int) ([]capturedRow, []byte) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(data) > 0 && len(lines) >= n || time.Now().After(deadline) {
			if len(data) == 0 || len(lines) != n {
				t.Fatalf("%s: want %d rows, got:\n%s", path, n, data)
			}
			rows := make([]capturedRow, n)
			for i, l := range lines {
				if err := json.Unmarshal(l, &rows[i]); err != nil {
					t.Fatalf("%s:%d: %v", path, i+1, err)
				}
			}
			return rows, data
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCaptureThroughGateway serves a trained router through Open in front
// of the fake upstream with capture on, and reads the rows back: routed,
// direct, streamed and multimodal requests are captured, a refused one is
// not, and no key (the client's or an upstream's) reaches the file.
func TestCaptureThroughGateway(t *testing.T) {
	m := trainCascadeRouter(t, false)
	dir := filepath.Join(t.TempDir(), "model")
	if err := router.Save(dir, m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "capture", "captured.jsonl")
	r := startReal(t, fmt.Sprintf("router: {model_path: %s}\ncapture:\n  path: %s\n  conversation: full\n  flush_interval: 5ms\n  redact: ['\\b\\d{3}-\\d{2}-\\d{4}\\b']\n", dir, path))

	routedQ := "Tom has 3 apples and buys 4 more. How many apples does he have? My SSN is 123-45-6789."
	_, routed, err := r.chat("router", routedQ, false)
	if err != nil {
		t.Fatal(err)
	}
	_, direct, err := r.chat("mini", "a direct streamed question", true)
	if err != nil {
		t.Fatal(err)
	}
	var media *http.Response
	msgs := append([]openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief")}, mediaParts()...)
	c := r.client()
	if _, err := c.Chat.Completions.New(context.Background(),
		openai.ChatCompletionNewParams{Model: "mini", Messages: msgs}, option.WithResponseInto(&media)); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := r.post("/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"refused"}]}`,
		"Authorization", "Bearer "+gatewayKey); code != http.StatusNotFound {
		t.Fatalf("unknown model: status %d", code)
	}

	rows, raw := waitCaptured(t, path, 3)
	byID := map[string]capturedRow{}
	for _, row := range rows {
		byID[row.ID] = row
		if row.KeyID != "tester" || row.Source != "captured" || row.RouterVersion != m.Meta.Data.SFTSHA256 || row.RouterVersion == "" {
			t.Errorf("row %+v: want key_id tester, source captured, router_version %s", row, m.Meta.Data.SFTSHA256)
		}
		if _, err := time.Parse(time.RFC3339Nano, row.Time); err != nil || !strings.HasSuffix(row.Time, "Z") {
			t.Errorf("time %q: %v", row.Time, err)
		}
	}
	got := byID[routed.Header.Get("X-Request-Id")]
	if got.Query != "Tom has 3 apples and buys 4 more. How many apples does he have? My SSN is [REDACTED]." ||
		got.Score == nil || got.Policy != routed.Header.Get("X-Router-Policy") || got.Policy == "" ||
		got.Model != routed.Header.Get("X-Router-Model") {
		t.Errorf("routed row %+v (headers %v)", got, routed.Header)
	}
	if len(got.Messages) != 1 || got.Messages[0].Role != "user" || strings.Contains(got.Messages[0].Content, "6789") {
		t.Errorf("routed messages %+v", got.Messages)
	}
	got = byID[direct.Header.Get("X-Request-Id")]
	if got.Query != "a direct streamed question" || got.Model != "mini" || got.Score != nil || got.Policy != "" {
		t.Errorf("direct row %+v", got)
	}
	got = byID[media.Header.Get("X-Request-Id")]
	if got.Query != "describe these" || len(got.Messages) != 2 ||
		got.Messages[1].Content != "describe these\n[image]\n[audio]\n[file]" || got.Messages[0].Content != "be brief" {
		t.Errorf("media row %+v", got)
	}
	for _, secret := range []string{gatewayKey, geminiKey, openaiKey, "Bearer", "123-45-6789", "iVBORw0KGgo", "UklGRg", "JVBERi0"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the capture file holds %q", secret[:6])
		}
	}
	_, _, metrics := r.get("/metrics", "Authorization", "Bearer "+gatewayKey)
	for _, want := range []string{`llmrouter_capture_rows_total{outcome="written"} 3`, `llmrouter_capture_rows_total{outcome="dropped"} 0`,
		"llmrouter_capture_write_errors_total 0", "llmrouter_capture_rotations_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestCaptureRouterVersionFollowsReload: a row names the training data of
// the model that routed it, before and after a reload to a model trained
// on other data.
func TestCaptureRouterVersionFollowsReload(t *testing.T) {
	first := trainCascadeRouter(t, false)
	dir := filepath.Join(t.TempDir(), "model")
	if err := router.Save(dir, first); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "captured.jsonl")
	r := startReal(t, fmt.Sprintf("router: {model_path: %s}\ncapture: {path: %s, flush_interval: 5ms}\n", dir, path))
	q := "Tom has 3 apples and buys 4 more. How many apples does he have?"
	_, before, err := r.chat("router", q, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := router.DefaultTrainConfig()
	cfg.SFTPath = cascadeSFT(t, 120)
	cfg.Cascade.Off = true
	second, _, err := router.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := router.Save(dir, second); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.ReloadRouter(context.Background(), "sighup"); err != nil {
		t.Fatal(err)
	}
	_, after, err := r.chat("router", q, false)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := waitCaptured(t, path, 2)
	version := map[string]string{}
	for _, row := range rows {
		version[row.ID] = row.RouterVersion
	}
	a, b := first.Meta.Data.SFTSHA256, second.Meta.Data.SFTSHA256
	got1, got2 := version[before.Header.Get("X-Request-Id")], version[after.Header.Get("X-Request-Id")]
	if a == b || got1 != a || got2 != b {
		t.Errorf("router_version %q then %q, want %q then %q", got1, got2, a, b)
	}
}

// TestCaptureSampledOutAndOff: sample_rate 0 writes nothing and counts
// every request; without the section the gateway has no writer.
func TestCaptureSampledOutAndOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "captured.jsonl")
	r := startReal(t, fmt.Sprintf("capture: {path: %s, sample_rate: 0, flush_interval: 1ms}\n", path))
	for i := range 3 {
		if _, _, err := r.chat("flash", fmt.Sprint("question ", i), false); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.srv.deps.Capture.Stats().SampledOut < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the request is counted after its answer is sent
	}
	_, _, metrics := r.get("/metrics", "Authorization", "Bearer "+gatewayKey)
	if !strings.Contains(metrics, `llmrouter_capture_rows_total{outcome="sampled_out"} 3`) {
		t.Errorf("/metrics:\n%s", grepLines(metrics, "llmrouter_capture"))
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s exists with every request sampled out: %v", path, err)
	}

	off := startReal(t, fmt.Sprintf("capture: {path: %s, enabled: false}\n", path))
	if off.srv.deps.Capture != nil {
		t.Error("capture.enabled: false started a writer")
	}
	if _, _, m := off.get("/metrics", "Authorization", "Bearer "+gatewayKey); strings.Contains(m, "llmrouter_capture") {
		t.Error("capture metrics exported with capture off")
	}
}

func TestCaptureConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"capture: {path: c.jsonl, redact: ['a+', 'b+', '(c']}", "t.yaml: capture.redact[2]: error parsing regexp: missing closing ): `(c`"},
		{"capture: {path: c.jsonl, sample_rate: 2}", "t.yaml: capture.sample_rate: must be in [0, 1], got 2"},
		{"capture: {enabled: true}", "t.yaml: capture.path: is required when capture.enabled is true"},
		{"capture: {path: c.jsonl, conversation: everything}", `t.yaml: capture.conversation: must be last_user or full, got "everything"`},
		{"capture: {path: c.jsonl, max_size: 3}", "t.yaml: line 19: field max_size not found"},
	} {
		_, err := ParseConfig([]byte(baseYAML+tc.yaml), "t.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want %q…", tc.yaml, err, tc.want)
		}
	}
}

// TestExampleCaptureSection: the documented section parses, stays off,
// and its redact patterns do what their comments say.
func TestExampleCaptureSection(t *testing.T) {
	cfg, err := LoadConfig("../../configs/router.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Capture
	if c.On() || c.Path != "./data/captured.jsonl" || len(c.Redact) != 2 {
		t.Fatalf("capture section not as documented: %+v", c)
	}
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w, err := capture.New(capture.Config{Path: path, Redact: c.Redact}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(capture.Row{ID: "x", Query: "key sk-proj_abcdefghijklmnop1234, mail jane.doe+x@example.co.uk please"})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, _ := waitCaptured(t, path, 1)
	if rows[0].Query != "key [REDACTED], mail [REDACTED] please" {
		t.Errorf("query %q", rows[0].Query)
	}
}
