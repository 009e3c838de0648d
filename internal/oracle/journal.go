package oracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// JournalFile is the append-only log of finished calls in the output dir.
const JournalFile = "oracle_calls.jsonl"

// Call kinds and sides as the journal records them.
const (
	KindAnswer = "answer"
	KindGrade  = "grade"
	SideCheap  = "cheap"
	SideStrong = "strong"
)

// CallRecord is one line of oracle_calls.jsonl: one finished, paid-for call.
type CallRecord struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Side string `json:"side"`
	// Model is the answering model, or the judge's name for grades.
	Model  string     `json:"model"`
	Result CallResult `json:"result"`
	// Conv is the digest of the conversation a captured item's call
	// answered (dataset.Item.ConversationDigest); empty otherwise.
	Conv string `json:"conv,omitempty"`
}

// CallResult is the outcome of an answer or a grade call.
type CallResult struct {
	Text      string         `json:"text,omitempty"`
	Usage     provider.Usage `json:"usage"`
	Cost      float64        `json:"cost_usd"`
	LatencyMS float64        `json:"latency_ms"`
	// Grade fields, for kind "grade".
	Grade  string `json:"grade,omitempty"`
	Method string `json:"method,omitempty"`
	// Verdict is a pairwise judge's parsed verdict, for kind "compare".
	Verdict string `json:"verdict,omitempty"`
}

type callKey struct{ id, kind, side, conv string }

func (r CallRecord) key() callKey { return callKey{r.ID, r.Kind, r.Side, r.Conv} }

func (r CallRecord) validate() error {
	switch {
	case r.ID == "":
		return errors.New("record has no id")
	case r.Kind == KindCompare:
		return validateCompare(r)
	case r.Kind != KindAnswer && r.Kind != KindGrade:
		return fmt.Errorf("unknown kind %q", r.Kind)
	case !validSide(r.Side):
		return fmt.Errorf("unknown side %q", r.Side)
	case r.Kind == KindGrade && !grade.Valid(r.Result.Grade):
		return fmt.Errorf("unknown grade %q", r.Result.Grade)
	}
	return nil
}

// loadJournal reads the records of path, if it exists. A last line cut short
// by a crash (no trailing newline, not valid JSON) is dropped and the file is
// truncated back to the last complete line, so appends start clean. Any other
// bad line is an error: silently skipping it could pay for a call twice.
func loadJournal(path string, log *slog.Logger) (map[callKey]CallRecord, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[callKey]CallRecord{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	done := make(map[callKey]CallRecord)
	good := 0 // bytes up to the end of the last complete line
	for line := 1; good < len(data); line++ {
		rest := data[good:]
		nl := bytes.IndexByte(rest, '\n')
		raw := rest
		if nl >= 0 {
			raw = rest[:nl]
		}
		var rec CallRecord
		perr := json.Unmarshal(raw, &rec)
		if perr == nil {
			perr = rec.validate()
		}
		if nl < 0 {
			if perr == nil {
				// Complete record, only the newline was lost: keep it.
				done[rec.key()] = rec
				return done, repairJournal(path, int64(len(data)), true)
			}
			log.Warn("oracle journal: dropping a truncated last line (interrupted write); the call will be redone",
				"file", path, "line", line, "bytes", len(raw))
			return done, repairJournal(path, int64(good), false)
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			if perr != nil {
				return nil, fmt.Errorf("%s:%d: corrupt journal line: %w (fix or remove the line; removing it only redoes that call)", path, line, perr)
			}
			done[rec.key()] = rec
		}
		good += nl + 1
	}
	return done, nil
}

// repairJournal makes the file end at a line boundary: truncating a partial
// line, or adding the missing newline after a complete one.
func repairJournal(path string, size int64, addNewline bool) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("repair journal: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("repair journal %s: %w", path, err)
	}
	if addNewline {
		if _, err := f.WriteAt([]byte("\n"), size); err != nil {
			return fmt.Errorf("repair journal %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("repair journal %s: %w", path, err)
	}
	return nil
}

// journal appends records with group commit: whoever arrives while a write
// and fsync are in progress is written by the next single write and fsync.
// Every Append returns only once its record is durable, so a finished call
// is never lost to a crash, yet a fast offline run does not pay one fsync
// per call.
type journal struct {
	path     string
	f        *os.File
	reqs     chan journalReq
	maxBatch int
	wg       sync.WaitGroup
}

type journalReq struct {
	rec  CallRecord
	done chan error
}

func openJournal(path string, maxBatch int) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if maxBatch <= 0 {
		maxBatch = 64
	}
	j := &journal{path: path, f: f, reqs: make(chan journalReq), maxBatch: maxBatch}
	j.wg.Add(1)
	go j.loop()
	return j, nil
}

// Append persists rec durably. It must not be called after Close.
func (j *journal) Append(rec CallRecord) error {
	done := make(chan error, 1)
	j.reqs <- journalReq{rec: rec, done: done}
	return <-done
}

func (j *journal) loop() {
	defer j.wg.Done()
	var broken error
	var buf bytes.Buffer
	for first := range j.reqs {
		batch := []journalReq{first}
	drain:
		for len(batch) < j.maxBatch {
			select {
			case r, ok := <-j.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		err := broken
		if err == nil {
			err = j.write(&buf, batch)
			// After a failed write the file may end mid-line; writing more
			// would bury that fragment, so refuse until a resume repairs it.
			broken = err
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

func (j *journal) write(buf *bytes.Buffer, batch []journalReq) error {
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	for _, r := range batch {
		if err := enc.Encode(r.rec); err != nil {
			return fmt.Errorf("journal %s: encode: %w", j.path, err)
		}
	}
	if _, err := io.Copy(j.f, buf); err != nil {
		return fmt.Errorf("journal %s: write: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: sync: %w", j.path, err)
	}
	return nil
}

// Close stops the writer after pending appends and closes the file.
func (j *journal) Close() error {
	close(j.reqs)
	j.wg.Wait()
	return j.f.Close()
}
