package capture

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/syncbuf"
)

func ptr[T any](v T) *T { return &v }

// startedWriter builds a writer (loop not running) whose log goes to buf.
func newTestWriter(t *testing.T, cfg Config, buf *syncbuf.Buffer) *Writer {
	t.Helper()
	var log *slog.Logger
	if buf != nil {
		log = slog.New(slog.NewTextHandler(buf, nil))
	}
	w, err := newWriter(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func closeWriter(t *testing.T, w *Writer) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.Close(ctx)
}

// readLines decodes every line of path, failing on a line that is not a
// whole JSON object.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s:%d: %v: %s", path, n, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func row(id, query string) Row {
	return Row{ID: id, Time: time.Date(2026, 12, 4, 22, 50, 0, 123456789, time.UTC), Query: query, Model: "gemini-2.5-flash", Policy: "Standard_Query", KeyID: "team-a"}
}

// waitFor polls cond for up to 5 s: the writer works in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRowFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "captured.jsonl")
	w, err := New(Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := row("chatcmpl-1", "What is <b>2+2</b> & why?")
	r.Score, r.RouterVersion = ptr(0.42), "abc123"
	r.Messages = []Message{{Role: "user", Content: "dropped under last_user"}}
	w.Add(r)
	unscored := row("chatcmpl-2", "Hi")
	unscored.Time = time.Date(2026, 12, 4, 23, 0, 0, 0, time.FixedZone("CET", 3600))
	w.Add(unscored)
	if err := closeWriter(t, w); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"chatcmpl-1","time":"2026-12-04T22:50:00.123Z","query":"What is <b>2+2</b> & why?","model":"gemini-2.5-flash","policy":"Standard_Query","score":0.42,"key_id":"team-a","router_version":"abc123","source":"captured"}
{"id":"chatcmpl-2","time":"2026-12-04T22:00:00.000Z","query":"Hi","model":"gemini-2.5-flash","policy":"Standard_Query","key_id":"team-a","router_version":"","source":"captured"}
`
	if string(data) != want {
		t.Errorf("file:\n%s\nwant:\n%s", data, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600: captured questions are private", st.Mode(), err)
	}
	if s := w.Stats(); s.Written != 2 || s.Batches != 1 || s.Dropped+s.Failed+s.WriteErrors != 0 {
		t.Errorf("stats %+v", s)
	}
	w.Add(row("late", "after close")) // dropped, not a panic
	if s := w.Stats(); s.Dropped != 1 {
		t.Errorf("row added after Close: stats %+v, want 1 dropped", s)
	}
}

func TestFullConversationAndRedaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w := newTestWriter(t, Config{Path: path, Conversation: Full,
		Redact: []string{`sk-[A-Za-z0-9]{8,}`, `\b\d{3}-\d{2}-\d{4}\b`}}, nil)
	r := row("r1", "my key is sk-ABCdef123456 and SSN 123-45-6789, twice: sk-zzzzzzzzzz")
	r.Messages = []Message{{Role: "system", Content: "be terse"}, {Role: "user", Content: "SSN 987-65-4321 [image]"}}
	if err := w.flush([]Row{r}); err != nil {
		t.Fatal(err)
	}
	if err := w.file.close(); err != nil {
		t.Fatal(err)
	}
	rows := readLines(t, path)
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	if q := rows[0]["query"]; q != "my key is [REDACTED] and SSN [REDACTED], twice: [REDACTED]" {
		t.Errorf("query %q", q)
	}
	msgs, _ := json.Marshal(rows[0]["messages"])
	if string(msgs) != `[{"content":"be terse","role":"system"},{"content":"SSN [REDACTED] [image]","role":"user"}]` {
		t.Errorf("messages %s", msgs)
	}
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{"sk-ABCdef123456", "123-45-6789", "987-65-4321", "sk-zzzzzzzzzz"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("file holds %q", secret)
		}
	}
}

func TestSamplingIsDeterministic(t *testing.T) {
	a := newTestWriter(t, Config{Path: "unused", SampleRate: ptr(0.3)}, nil)
	b := newTestWriter(t, Config{Path: "other", SampleRate: ptr(0.3)}, nil)
	kept := 0
	const n = 20000
	for i := range n {
		id := fmt.Sprintf("chatcmpl-%d", i)
		if a.Sampled(id) != b.Sampled(id) {
			t.Fatalf("%s: writers disagree", id)
		}
		if a.Sampled(id) {
			kept++
		}
	}
	if share := float64(kept) / n; share < 0.28 || share > 0.32 {
		t.Errorf("kept share %.4f at sample_rate 0.3", share)
	}
	none := newTestWriter(t, Config{Path: "x", SampleRate: ptr(0.0)}, nil)
	all := newTestWriter(t, Config{Path: "x", SampleRate: ptr(1.0)}, nil)
	for i := range 1000 {
		id := fmt.Sprintf("id-%d", i)
		if none.Sampled(id) || !all.Sampled(id) {
			t.Fatalf("%s: rate 0 kept or rate 1 dropped it", id)
		}
	}
	// Add counts what sampling leaves out and queues the rest.
	c := newTestWriter(t, Config{Path: "x", SampleRate: ptr(0.5), QueueSize: 1000}, nil)
	want := 0
	for i := range 1000 {
		id := fmt.Sprintf("q-%d", i)
		if !c.Sampled(id) {
			want++
		}
		c.Add(row(id, "q"))
	}
	if s := c.Stats(); s.SampledOut != uint64(want) || len(c.queue) != 1000-want || want == 0 || want == 1000 {
		t.Errorf("sampled out %d (want %d), queued %d", s.SampledOut, want, len(c.queue))
	}
}

func TestBatchingBySizeAndInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w, err := New(Config{Path: path, FlushInterval: time.Minute, QueueSize: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// With the interval a minute away, a full batch is written at once.
	for i := range batchRows {
		w.Add(row(fmt.Sprintf("r%03d", i), "q"))
	}
	waitFor(t, "a full batch", func() bool { return w.Stats().Written == batchRows })
	for i := range 44 {
		w.Add(row(fmt.Sprintf("r%03d", batchRows+i), "q"))
	}
	if s := w.Stats(); s.Batches != 1 || s.Written != batchRows {
		t.Errorf("stats %+v, want one batch of %d before the interval", s, batchRows)
	}
	if err := closeWriter(t, w); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Written != 300 || s.Batches != 2 {
		t.Errorf("after close: %+v, want 300 rows in 2 batches", s)
	}
	rows := readLines(t, path)
	for i, r := range rows {
		if r["id"] != fmt.Sprintf("r%03d", i) {
			t.Fatalf("row %d is %v: order lost", i, r["id"])
		}
	}

	// A lone row goes out when the interval passes, without Close.
	path2 := filepath.Join(t.TempDir(), "c.jsonl")
	w2, err := New(Config{Path: path2, FlushInterval: 5 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w2.Add(row("lone", "q"))
	waitFor(t, "the interval flush", func() bool { return w2.Stats().Written == 1 })
	if rows := readLines(t, path2); len(rows) != 1 {
		t.Errorf("%d rows before close", len(rows))
	}
	if err := closeWriter(t, w2); err != nil {
		t.Fatal(err)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "captured.jsonl")
	w := newTestWriter(t, Config{Path: path, MaxFiles: 2}, nil)
	// A stale file from a larger max_files goes at the first rotation.
	if err := os.WriteFile(path+".3", []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.maxBytes = 600 // about three rows
	for i := range 20 {
		if err := w.flush([]Row{row(fmt.Sprintf("r%02d", i), strings.Repeat("x", 100))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.file.close(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{path + ".2", path + ".1", path} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 600 {
			t.Errorf("%s: %d bytes, over the 600-byte limit", name, st.Size())
		}
		for _, r := range readLines(t, name) {
			ids = append(ids, r["id"].(string))
		}
	}
	if _, err := os.Stat(path + ".3"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.3 still there (max_files 2): %v", path, err)
	}
	s := w.Stats()
	// The kept files hold the newest rows, oldest file first, none repeated.
	if len(ids) == 0 || ids[len(ids)-1] != "r19" || s.Rotations < 3 {
		t.Fatalf("ids %v, stats %+v", ids, s)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ids out of order: %v", ids)
		}
	}
	if first := 20 - len(ids); ids[0] != fmt.Sprintf("r%02d", first) {
		t.Errorf("ids %v: rows missing between the rotated files", ids)
	}
}

func TestUnwritablePathIsCountedAndRetried(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, []byte("a file where a directory should be"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "captured.jsonl")
	logs := &syncbuf.Buffer{}
	w := newTestWriter(t, Config{Path: path}, logs)
	for i := range 5 {
		if err := w.flush([]Row{row(fmt.Sprint(i), "q"), row("b", "q")}); err == nil {
			t.Fatal("write under a regular file succeeded")
		}
	}
	if s := w.Stats(); s.WriteErrors != 5 || s.Failed != 10 || s.Written != 0 {
		t.Errorf("stats %+v", s)
	}
	if n := strings.Count(logs.String(), "could not write rows"); n != 1 {
		t.Errorf("%d error lines for 5 failures, want 1 (rate-limited):\n%s", n, logs)
	}
	// The path becomes writable: the next batch opens it.
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if err := w.flush([]Row{row("after", "q")}); err != nil {
		t.Fatal(err)
	}
	if err := w.file.close(); err != nil {
		t.Fatal(err)
	}
	if rows := readLines(t, path); len(rows) != 1 || rows[0]["id"] != "after" {
		t.Errorf("rows %v", rows)
	}

	// Through the goroutine: Add keeps returning, Close reports the loss.
	w2, err := New(Config{Path: filepath.Join(dir, "f", "x.jsonl"), FlushInterval: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w2.Add(row("1", "q"))
	waitFor(t, "a counted write error", func() bool { return w2.Stats().WriteErrors > 0 })
	_ = closeWriter(t, w2)
	if s := w2.Stats(); s.Failed != 1 || s.Written != 0 {
		t.Errorf("stats %+v", s)
	}
	// Rows written by Close itself: their loss is its error.
	w3, err := New(Config{Path: filepath.Join(dir, "f", "y.jsonl"), FlushInterval: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w3.Add(row("3", "q"))
	if err := closeWriter(t, w3); err == nil || !strings.Contains(err.Error(), "1 rows lost") {
		t.Errorf("Close: %v, want the loss of its last row", err)
	}
}

func TestFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	w := newTestWriter(t, Config{Path: "/dev/full"}, nil)
	err := w.flush([]Row{row("1", "q")})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err %v, want ENOSPC", err)
	}
	if s := w.Stats(); s.WriteErrors != 1 || s.Failed != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestTornLastLineIsCutOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	whole := `{"id":"old","query":"q"}` + "\n"
	if err := os.WriteFile(path, []byte(whole+`{"id":"torn","que`), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newTestWriter(t, Config{Path: path}, nil)
	if err := w.flush([]Row{row("new", "q")}); err != nil {
		t.Fatal(err)
	}
	if err := w.file.close(); err != nil {
		t.Fatal(err)
	}
	rows := readLines(t, path)
	if len(rows) != 2 || rows[0]["id"] != "old" || rows[1]["id"] != "new" {
		t.Errorf("rows %v", rows)
	}
	// A file that is one torn line is emptied.
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 70<<10)), 0o600); err != nil {
		t.Fatal(err)
	}
	w2 := newTestWriter(t, Config{Path: path}, nil)
	if err := w2.flush([]Row{row("only", "q")}); err != nil {
		t.Fatal(err)
	}
	_ = w2.file.close()
	if rows := readLines(t, path); len(rows) != 1 || rows[0]["id"] != "only" {
		t.Errorf("rows %v", rows)
	}
}

func TestQueueFullDropsAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w := newTestWriter(t, Config{Path: path, QueueSize: 4}, nil)
	for i := range 10 {
		w.Add(row(fmt.Sprint(i), "q")) // loop not running: the queue fills
	}
	if s := w.Stats(); s.Dropped != 6 {
		t.Errorf("dropped %d, want 6", s.Dropped)
	}
	go w.run()
	if err := closeWriter(t, w); err != nil {
		t.Fatal(err)
	}
	if rows := readLines(t, path); len(rows) != 4 || w.Stats().Written != 4 {
		t.Errorf("%d rows written, stats %+v", len(rows), w.Stats())
	}
}

func TestConcurrentAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w, err := New(Config{Path: path, QueueSize: 256, FlushInterval: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				w.Add(row(fmt.Sprintf("%d-%d", g, i), "q"))
			}
		})
	}
	wg.Wait()
	if err := closeWriter(t, w); err != nil {
		t.Fatal(err)
	}
	s := w.Stats()
	if s.Written+s.Dropped != 4000 {
		t.Errorf("stats %+v: rows unaccounted for", s)
	}
	if rows := readLines(t, path); uint64(len(rows)) != s.Written {
		t.Errorf("%d lines, %d counted written", len(rows), s.Written)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Path: "x", Redact: []string{`a+`, `b+`, `(c`}}, "capture.redact[2]: error parsing regexp: missing closing ): `(c`"},
		{Config{Path: "x", Redact: []string{`\d*`}}, `capture.redact[0]: "\\d*" matches the empty string`},
		{Config{Enabled: ptr(true)}, "capture.path: is required when capture.enabled is true"},
		{Config{Path: "x", SampleRate: ptr(1.5)}, "capture.sample_rate: must be in [0, 1], got 1.5"},
		{Config{Path: "x", Conversation: "all"}, `capture.conversation: must be last_user or full, got "all"`},
		{Config{Path: "x", MaxSizeMB: -1}, "capture.max_size_mb"},
		{Config{Path: "x", MaxFiles: -1}, "capture.max_files"},
		{Config{Path: "x", FlushInterval: time.Hour}, "capture.flush_interval"},
		{Config{Path: "x", QueueSize: -2}, "capture.queue_size"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: got %v, want %q…", tc.cfg, err, tc.want)
		}
	}
	for _, tc := range []struct {
		cfg Config
		on  bool
	}{{Config{}, false}, {Config{Path: "p"}, true}, {Config{Path: "p", Enabled: ptr(false)}, false}, {Config{Path: "p", Enabled: ptr(true)}, true}} {
		if err := tc.cfg.Validate(); err != nil {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
		if tc.cfg.On() != tc.on {
			t.Errorf("%+v: On() = %v", tc.cfg, !tc.on)
		}
	}
}

// TestOracleReadsCapturedRows: the oracle's reader takes the file as
// written, recognised as captured traffic, each row a question.
func TestOracleReadsCapturedRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "captured.jsonl")
	w := newTestWriter(t, Config{Path: path, Conversation: Full}, nil)
	r1 := row("chatcmpl-a", "What is the capital of France?")
	r1.Score, r1.Messages = ptr(0.1), []Message{{Role: "user", Content: "What is the capital of France?"}}
	if err := w.flush([]Row{r1, row("chatcmpl-b", "Prove that √2 is irrational.\nShow every step.")}); err != nil {
		t.Fatal(err)
	}
	if err := w.file.close(); err != nil {
		t.Fatal(err)
	}
	format, err := dataset.DetectFormat(path)
	if err != nil || format != dataset.FormatCaptured {
		t.Fatalf("format %q, %v", format, err)
	}
	items, dropped, err := dataset.ReadCaptured(path)
	if err != nil || dropped != 0 || len(items) != 2 {
		t.Fatalf("items %+v, dropped %d, %v", items, dropped, err)
	}
	if items[0].ID != "chatcmpl-a" || items[0].Problem != r1.Query || items[1].Problem != "Prove that √2 is irrational.\nShow every step." {
		t.Errorf("items %+v", items)
	}
}

// TestQueueIsBoundedInBytes: long rows fill the queue by size before its
// row count, and a batch's worth of bytes is written before the interval.
func TestQueueIsBoundedInBytes(t *testing.T) {
	w := newTestWriter(t, Config{Path: filepath.Join(t.TempDir(), "c.jsonl")}, nil)
	w.maxBytesQueued = 1000
	long := strings.Repeat("x", 400)
	for i := range 3 {
		w.Add(row(fmt.Sprint(i), long))
	}
	if s := w.Stats(); len(w.queue) != 1 || s.Dropped != 2 {
		t.Errorf("queued %d, stats %+v; want 1 queued, 2 dropped", len(w.queue), s)
	}
	w.take(nil)
	w.Add(row("after", long))
	if len(w.queue) != 1 {
		t.Errorf("a taken queue still counts its bytes: %d queued", len(w.queue))
	}

	path := filepath.Join(t.TempDir(), "big.jsonl")
	w2, err := New(Config{Path: path, FlushInterval: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("y", 400<<10)
	for i := range 3 { // the third crosses batchBytes
		w2.Add(row(fmt.Sprint(i), huge))
	}
	waitFor(t, "a batch by size", func() bool { return w2.Stats().Written == 3 })
	if err := closeWriter(t, w2); err != nil {
		t.Fatal(err)
	}
	if rows := readLines(t, path); len(rows) != 3 || rows[2]["query"] != huge {
		t.Errorf("%d rows", len(rows))
	}
}

// TestFileMovedAwayStartsANewOne: rows written after the file was moved
// (to be labelled) or removed go to a new file at the path.
func TestFileMovedAwayStartsANewOne(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.jsonl")
	w := newTestWriter(t, Config{Path: path}, nil)
	if err := w.flush([]Row{row("1", "q")}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, filepath.Join(dir, "taken.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := w.flush([]Row{row("2", "q")}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.flush([]Row{row("3", "q")}); err != nil {
		t.Fatal(err)
	}
	if err := w.file.close(); err != nil {
		t.Fatal(err)
	}
	if rows := readLines(t, filepath.Join(dir, "taken.jsonl")); len(rows) != 1 || rows[0]["id"] != "1" {
		t.Errorf("moved file: %v", rows)
	}
	if rows := readLines(t, path); len(rows) != 1 || rows[0]["id"] != "3" {
		t.Errorf("new file: %v", rows)
	}
}
