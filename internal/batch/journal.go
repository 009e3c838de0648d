package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Journal is the append-only, fsynced record of batch jobs: which job holds
// which request keys, written before the job is waited on, and how each job
// ended. A process that restarts reads it to attach its requests to the
// jobs already paid for instead of submitting them again. It is safe for
// concurrent use.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File
	// latest maps a request to the last job journaled for it.
	latest map[reqKey]string
	// failed holds jobs that ended FAILED: their requests were not run.
	failed map[string]bool
	// intents are jobs being created whose id was never recorded: by
	// name, and by request.
	intents  map[string]Intent
	intentOf map[reqKey]string
}

// Intent is a job whose creation was journaled but whose id was not: the
// process stopped, or the create call's outcome was unknown. Find it by
// its display name before submitting its requests again.
type Intent struct {
	Provider, Model, Name string
	Keys                  []string
}

type reqKey struct{ provider, model, key string }

// Journal events.
const (
	eventSubmitting = "submitting"
	eventSubmitted  = "submitted"
	eventAbandoned  = "abandoned"
	eventFinished   = "finished"
)

// journalLine is one line of the journal.
type journalLine struct {
	Event    string    `json:"event"`
	Job      string    `json:"job,omitempty"`
	Name     string    `json:"name,omitempty"`
	Provider string    `json:"provider,omitempty"`
	Model    string    `json:"model,omitempty"`
	Keys     []string  `json:"keys,omitempty"`
	State    State     `json:"state,omitempty"`
	Time     time.Time `json:"time"`
}

// OpenJournal reads path (if it exists) and opens it for appending. A last
// line cut short by a crash is dropped (its job was never waited on, so its
// requests are submitted again, which is the best that can be done); any
// other bad line is an error naming it.
func OpenJournal(path string, log *slog.Logger) (*Journal, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	j := &Journal{path: path, latest: map[reqKey]string{}, failed: map[string]bool{},
		intents: map[string]Intent{}, intentOf: map[reqKey]string{}}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read batch journal: %w", err)
	}
	good, err := j.load(data, log)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open batch journal: %w", err)
	}
	if good < int64(len(data)) {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("repair batch journal %s: %w", path, err)
		}
	}
	if _, err := f.Seek(good, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("open batch journal %s: %w", path, err)
	}
	j.f = f
	return j, nil
}

// load applies data's complete lines and returns the length they span.
func (j *Journal) load(data []byte, log *slog.Logger) (int64, error) {
	var good int64
	for n := 1; good < int64(len(data)); n++ {
		rest := data[good:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			log.Warn("batch journal: dropping a truncated last line (interrupted write)", "file", j.path, "line", n)
			return good, nil
		}
		raw := bytes.TrimSpace(rest[:nl])
		if len(raw) > 0 {
			var l journalLine
			if err := json.Unmarshal(raw, &l); err != nil {
				return 0, fmt.Errorf("%s:%d: corrupt batch journal line: %w", j.path, n, err)
			}
			if err := j.apply(l); err != nil {
				return 0, fmt.Errorf("%s:%d: %w", j.path, n, err)
			}
		}
		good += int64(nl) + 1
	}
	return good, nil
}

func (j *Journal) apply(l journalLine) error {
	switch {
	case l.Event == eventSubmitting || l.Event == eventAbandoned:
		if l.Name == "" {
			return fmt.Errorf("batch journal %s line has no name", l.Event)
		}
		if l.Event == eventSubmitting {
			j.intents[l.Name] = Intent{Provider: l.Provider, Model: l.Model, Name: l.Name, Keys: l.Keys}
			for _, k := range l.Keys {
				j.intentOf[reqKey{l.Provider, l.Model, k}] = l.Name
			}
			return nil
		}
		j.forget(l.Name)
	case l.Job == "":
		return errors.New("batch journal line has no job")
	case l.Event == eventSubmitted:
		j.forget(l.Name)
		delete(j.failed, l.Job)
		for _, k := range l.Keys {
			j.latest[reqKey{l.Provider, l.Model, k}] = l.Job
		}
	case l.Event == eventFinished:
		if l.State == Failed {
			j.failed[l.Job] = true
		}
	default:
		return fmt.Errorf("unknown batch journal event %q", l.Event)
	}
	return nil
}

// forget drops an intent once resolved.
func (j *Journal) forget(name string) {
	in, ok := j.intents[name]
	if !ok {
		return
	}
	delete(j.intents, name)
	for _, k := range in.Keys {
		rk := reqKey{in.Provider, in.Model, k}
		if j.intentOf[rk] == name {
			delete(j.intentOf, rk)
		}
	}
}

// LookupIntent returns the unresolved intent holding a request.
func (j *Journal) LookupIntent(providerName, model, key string) (Intent, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	name, ok := j.intentOf[reqKey{providerName, model, key}]
	if !ok {
		return Intent{}, false
	}
	return j.intents[name], true
}

// Submitting durably records that a job named name is about to be created
// for keys. Call it before the create call.
func (j *Journal) Submitting(providerName, model, name string, keys []string) error {
	return j.append(journalLine{Event: eventSubmitting, Name: name, Provider: providerName, Model: model, Keys: keys, Time: time.Now().UTC()})
}

// Abandoned records that the job named name was never created.
func (j *Journal) Abandoned(name string) error {
	return j.append(journalLine{Event: eventAbandoned, Name: name, Time: time.Now().UTC()})
}

// Lookup returns the job last journaled for a request, unless that job
// failed (a failed job ran none of its requests).
func (j *Journal) Lookup(providerName, model, key string) (string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	id, ok := j.latest[reqKey{providerName, model, key}]
	if !ok || j.failed[id] {
		return "", false
	}
	return id, true
}

// Submitted durably records that job, created as name, holds keys. Call
// it before waiting on the job.
func (j *Journal) Submitted(providerName, model, name, job string, keys []string) error {
	return j.append(journalLine{Event: eventSubmitted, Job: job, Name: name, Provider: providerName, Model: model, Keys: keys, Time: time.Now().UTC()})
}

// Finished records how a job ended.
func (j *Journal) Finished(job string, st State) error {
	return j.append(journalLine{Event: eventFinished, Job: job, State: st, Time: time.Now().UTC()})
}

func (j *Journal) append(l journalLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("batch journal %s: encode: %w", j.path, err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("batch journal %s is closed", j.path)
	}
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("batch journal %s: write: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("batch journal %s: sync: %w", j.path, err)
	}
	return j.apply(l)
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
