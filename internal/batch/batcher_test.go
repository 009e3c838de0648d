package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/gemini"
	"github.com/llmrouter/llmrouter/internal/provider/openai"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// thinking answers like the default fake and reports thinking tokens, so
// the comparison with online calls covers them.
func thinking(req *fake.Request) fake.Reply {
	return fake.Reply{Text: "Answer: " + req.LastUser(), ThinkingTokens: 11}
}

type protocol struct {
	name    string
	model   string
	backend func(s *fake.BatchServer, inline int) Backend
	online  func(base string, hc *http.Client) provider.Provider
	base    func(s *fake.Server) string
}

var protocols = []protocol{
	{
		name: "gemini", model: "gemini-2.5-flash",
		backend: func(s *fake.BatchServer, inline int) Backend {
			return NewGemini(Config{BaseURL: s.URL, APIKey: "test-key", InlineLimit: inline})
		},
		online: func(base string, hc *http.Client) provider.Provider {
			return gemini.New(gemini.Config{BaseURL: base, APIKey: "test-key", HTTPClient: hc})
		},
		base: func(s *fake.Server) string { return s.URL },
	},
	{
		name: "openai", model: "gpt-4o-mini",
		backend: func(s *fake.BatchServer, _ int) Backend {
			return NewOpenAI(Config{BaseURL: s.OpenAIBase, APIKey: "test-key"})
		},
		online: func(base string, hc *http.Client) provider.Provider {
			return openai.New(openai.Config{BaseURL: base, APIKey: "test-key", HTTPClient: hc})
		},
		base: func(s *fake.Server) string { return s.OpenAIBase },
	},
}

func newBatcher(t *testing.T, be Backend, model, journal string, mod func(*Options)) *Batcher {
	t.Helper()
	j, err := OpenJournal(journal, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Backend: be, Model: model, Journal: j, Window: 20 * time.Millisecond, Poll: 2 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		j.Close()
	})
	return b
}

func userReq(text string) *provider.Request {
	zero := 0.0
	return &provider.Request{Messages: []provider.Message{{Role: "user", Content: text}}, Temperature: &zero, MaxTokens: 64}
}

// completeAll runs the requests concurrently, as the oracle does.
func completeAll(ctx context.Context, p provider.Provider, texts []string) ([]*provider.Response, []error) {
	out := make([]*provider.Response, len(texts))
	errs := make([]error, len(texts))
	var wg sync.WaitGroup
	for i, q := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = p.Complete(ctx, userReq(q))
		}()
	}
	wg.Wait()
	return out, errs
}

func questions(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("What is the capital of country %d?", i)
	}
	return out
}

// recorder keeps the bodies an online client sends.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(b))
	return http.DefaultTransport.RoundTrip(req)
}

// TestSameAsOnline: a batched call sends the online request body and
// returns the online response (text, finish reason, usage with thinking
// tokens), for both protocols and both Gemini input modes.
func TestSameAsOnline(t *testing.T) {
	for _, p := range protocols {
		for _, inline := range []int{0, 1} {
			if p.name == "openai" && inline == 1 {
				continue
			}
			t.Run(fmt.Sprintf("%s/inline_limit=%d", p.name, inline), func(t *testing.T) {
				bs := fake.NewBatch(t, fake.WithBatchAnswer(thinking))
				on := fake.New(t, fake.WithAnswer(thinking))
				rec := &recorder{}
				online := p.online(p.base(on), &http.Client{Transport: rec})
				b := newBatcher(t, p.backend(bs, inline), p.model, filepath.Join(t.TempDir(), "j.jsonl"), nil)
				ctx := context.Background()
				qs := questions(3)
				got, errs := completeAll(ctx, b, qs)
				for i, q := range qs {
					if errs[i] != nil {
						t.Fatalf("batched %q: %v", q, errs[i])
					}
					req := userReq(q)
					req.Model = p.model
					want, err := online.Complete(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					if got[i].Text != want.Text || got[i].FinishReason != want.FinishReason || got[i].Usage != want.Usage || got[i].Model != want.Model {
						t.Errorf("%q: batched %+v, online %+v", q, *got[i], *want)
					}
					if got[i].Usage.ThinkingTokens != 11 {
						t.Errorf("thinking tokens %d, want 11", got[i].Usage.ThinkingTokens)
					}
				}
				wantInput := "file"
				if p.name == "gemini" && inline == 0 {
					wantInput = "inline"
				}
				if jobs := bs.Jobs(); len(jobs) != 1 || jobs[0].Requests != 3 || jobs[0].Input != wantInput {
					t.Fatalf("jobs %+v, want one of 3 requests, input %s", jobs, wantInput)
				}
				sent := map[string]bool{}
				for _, body := range bs.RequestBodies(0) {
					sent[string(body)] = true
				}
				for _, body := range rec.bodies {
					if !sent[string(body)] {
						t.Errorf("online body %s not among the batched bodies", body)
					}
				}
			})
		}
	}
}

type stateCase struct {
	name    string
	plan    func(int) fake.BatchPlan
	errs    int
	errText string
	// jobs per protocol: OpenAI's expired and cancelled jobs keep the
	// answers they finished, Gemini's return none.
	geminiJobs, openAIJobs int
}

func requestFails(text string, status int, firstOnly bool) func(int) fake.BatchPlan {
	return func(int) fake.BatchPlan {
		return fake.BatchPlan{RequestError: func(r *fake.Request, attempt int) int {
			if strings.Contains(r.LastUser(), text) && (!firstOnly || attempt == 1) {
				return status
			}
			return 0
		}}
	}
}

func firstJobEnds(end fake.BatchEnd, answered int) func(int) fake.BatchPlan {
	return func(i int) fake.BatchPlan {
		if i == 0 {
			return fake.BatchPlan{End: end, Answered: answered}
		}
		return fake.BatchPlan{}
	}
}

var stateCases = []stateCase{
	{name: "succeeded_after_polls", plan: func(int) fake.BatchPlan { return fake.BatchPlan{Polls: 4} }, geminiJobs: 1, openAIJobs: 1},
	{name: "failed", plan: func(int) fake.BatchPlan {
		return fake.BatchPlan{End: fake.BatchFailed, Message: "quota exceeded for batch jobs"}
	}, errs: 3, errText: "quota exceeded for batch jobs", geminiJobs: 1, openAIJobs: 1},
	{name: "expired_then_requeued", plan: firstJobEnds(fake.BatchExpired, 1), geminiJobs: 2, openAIJobs: 2},
	{name: "cancelled_then_requeued", plan: firstJobEnds(fake.BatchCancelled, 2), geminiJobs: 2, openAIJobs: 2},
	{name: "expired_every_time", plan: func(int) fake.BatchPlan { return fake.BatchPlan{End: fake.BatchExpired} },
		errs: 3, errText: "after 3 batch jobs", geminiJobs: 3, openAIJobs: 3},
	{name: "rate_limited_inside_then_ok", plan: requestFails("country 1?", 429, true), geminiJobs: 2, openAIJobs: 2},
	{name: "bad_request_inside", plan: requestFails("country 2?", 400, false), errs: 1, errText: "400", geminiJobs: 1, openAIJobs: 1},
}

// TestJobStates drives every way a job can end, for both protocols.
func TestJobStates(t *testing.T) {
	for _, p := range protocols {
		for _, c := range stateCases {
			t.Run(p.name+"/"+c.name, func(t *testing.T) { checkJobStates(t, p, c) })
		}
	}
}

func checkJobStates(t *testing.T, p protocol, c stateCase) {
	bs := fake.NewBatch(t, fake.WithBatchPlan(c.plan))
	var mu sync.Mutex
	var seen []State
	b := newBatcher(t, p.backend(bs, 0), p.model, filepath.Join(t.TempDir(), "j.jsonl"), func(o *Options) {
		o.OnStatus = func(_ string, j Job) {
			mu.Lock()
			seen = append(seen, j.State)
			mu.Unlock()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	qs := questions(3)
	got, errs := completeAll(ctx, b, qs)
	n := 0
	for i, err := range errs {
		if err != nil {
			n++
			if !strings.Contains(err.Error(), c.errText) {
				t.Errorf("error %q does not say %q", err, c.errText)
			}
			continue
		}
		if want := "Answer from " + p.model + ": " + qs[i]; got[i].Text != want {
			t.Errorf("answer %q, want %q", got[i].Text, want)
		}
	}
	if n != c.errs {
		t.Errorf("%d errors (%v), want %d", n, errors.Join(errs...), c.errs)
	}
	wantJobs := c.geminiJobs
	if p.name == "openai" {
		wantJobs = c.openAIJobs
	}
	if jobs := bs.Jobs(); len(jobs) != wantJobs {
		t.Errorf("%d jobs (%+v), want %d", len(jobs), jobs, wantJobs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || !seen[len(seen)-1].Done() {
		t.Errorf("status reports %v: want progress then a final state", seen)
	}
}

// TestPerItemErrorIsRejected: a request the API refuses inside a job is
// the same error the online call gets: rejected with status 400.
func TestPerItemErrorIsRejected(t *testing.T) {
	bs := fake.NewBatch(t, fake.WithBatchPlan(func(int) fake.BatchPlan {
		return fake.BatchPlan{RequestError: func(*fake.Request, int) int { return 400 }}
	}))
	b := newBatcher(t, protocols[0].backend(bs, 0), "gemini-2.5-flash", filepath.Join(t.TempDir(), "j.jsonl"), nil)
	_, err := b.Complete(context.Background(), userReq("hello"))
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != apierr.UpstreamRejected || ae.UpstreamStatus != 400 {
		t.Fatalf("error %v, want an upstream rejection with status 400", err)
	}
}

// TestResumeAttachesToJournaledJob: a process that stops while its job is
// pending leaves the job journaled; the next one asking for the same
// requests polls that job and never creates another.
func TestResumeAttachesToJournaledJob(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			bs := fake.NewBatch(t, fake.WithBatchPlan(func(int) fake.BatchPlan { return fake.BatchPlan{Hold: true} }))
			jpath := filepath.Join(t.TempDir(), "j.jsonl")
			qs := questions(4)
			ctx1, cancel1 := context.WithCancel(context.Background())
			first := newBatcher(t, p.backend(bs, 0), p.model, jpath, nil)
			done := make(chan struct{})
			go func() {
				defer close(done)
				completeAll(ctx1, first, qs)
			}()
			waitFor(t, func() bool { return len(bs.Jobs()) == 1 && bs.Polls() > 0 })
			cancel1()
			<-done
			first.Close()

			second := newBatcher(t, p.backend(bs, 0), p.model, jpath, nil)
			bs.Release()
			got, errs := completeAll(context.Background(), second, qs)
			for i := range qs {
				if errs[i] != nil || !strings.HasSuffix(got[i].Text, qs[i]) {
					t.Fatalf("resumed answer %d: %v %v", i, got[i], errs[i])
				}
			}
			if jobs := bs.Jobs(); len(jobs) != 1 {
				t.Fatalf("%d jobs created, want 1: the resumed process must poll the journaled job", len(jobs))
			}
			for k, n := range bs.Submissions() {
				if n != 1 {
					t.Errorf("request %s submitted %d times", k, n)
				}
			}
		})
	}
}

// TestResumeAfterJobFinished: results of a finished job survive a crash
// before the caller recorded them: a new process re-downloads them.
func TestResumeAfterJobFinished(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			bs := fake.NewBatch(t)
			jpath := filepath.Join(t.TempDir(), "j.jsonl")
			qs := questions(3)
			first := newBatcher(t, p.backend(bs, 0), p.model, jpath, nil)
			want, errs := completeAll(context.Background(), first, qs)
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			first.Close()
			second := newBatcher(t, p.backend(bs, 0), p.model, jpath, nil)
			got, errs := completeAll(context.Background(), second, qs)
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			for i := range qs {
				if got[i].Text != want[i].Text || got[i].Usage != want[i].Usage {
					t.Errorf("re-downloaded %+v, first %+v", got[i], want[i])
				}
			}
			if jobs := bs.Jobs(); len(jobs) != 1 {
				t.Fatalf("%d jobs, want 1", len(jobs))
			}
		})
	}
}

// TestDuplicatesShareASlot: identical requests are one item of one job.
func TestDuplicatesShareASlot(t *testing.T) {
	bs := fake.NewBatch(t)
	b := newBatcher(t, protocols[1].backend(bs, 0), "gpt-4o-mini", filepath.Join(t.TempDir(), "j.jsonl"), nil)
	got, errs := completeAll(context.Background(), b, []string{"same", "same", "other"})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got[0].Text != got[1].Text {
		t.Errorf("duplicates answered differently: %q %q", got[0].Text, got[1].Text)
	}
	if jobs := bs.Jobs(); len(jobs) != 1 || jobs[0].Requests != 2 {
		t.Fatalf("jobs %+v, want one job of 2 requests", jobs)
	}
}

// TestSizeCapSplitsJobs: MaxRequests submits a job as soon as it is full.
func TestSizeCapSplitsJobs(t *testing.T) {
	bs := fake.NewBatch(t)
	b := newBatcher(t, protocols[0].backend(bs, 0), "gemini-2.5-flash", filepath.Join(t.TempDir(), "j.jsonl"), func(o *Options) {
		o.MaxRequests = 2
		o.Window = time.Hour // only the cap and its leftovers flush
	})
	_, errs := completeAll(context.Background(), b, questions(4))
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if jobs := bs.Jobs(); len(jobs) != 2 || jobs[0].Requests != 2 || jobs[1].Requests != 2 {
		t.Fatalf("jobs %+v, want two of 2", jobs)
	}
}

// TestRefusedBodiesAre400: the fakes refuse what the real APIs refuse,
// naming the field.
func TestRefusedBodiesAre400(t *testing.T) {
	bs := fake.NewBatch(t)
	cases := []struct {
		url, body, auth, want string
	}{
		{bs.URL + "/v1beta/models/gemini-2.5-flash:batchGenerateContent", `{"batch":{"display_name":"x","input_config":{"requests":{"requests":[{"request":{"contents":[{"parts":[{"text":"hi"}]}]},"metadata":{"key":"a"}}]}},"bogus":1}}`, "key", `Unknown name \"bogus\" at 'batch'`},
		{bs.URL + "/v1beta/models/gemini-2.5-flash:batchGenerateContent", `{"batch":{"inputConfig":{"requests":{"requests":[]}}}}`, "key", "display_name is required"},
		{bs.URL + "/v1beta/models/gemini-2.5-flash:batchGenerateContent", `{"batch":{"displayName":"x","inputConfig":{"requests":{"requests":[{"requests":{}}]}}}}`, "key", `Unknown name \"requests\" at 'batch.input_config.requests.requests[0]'`},
		{bs.OpenAIBase + "/batches", `{"input_file_id":"file-x","endpoint":"/v1/chat/completions","completion_window":"24h","inputFileId":"y"}`, "bearer", "Unrecognized request argument supplied: inputFileId"},
		{bs.OpenAIBase + "/batches", `{"input_file_id":"file-x","endpoint":"/v1/chat/completions","completion_window":"1h"}`, "bearer", "completion_window"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(c.body))
		if c.auth == "key" {
			req.Header.Set("x-goog-api-key", "k")
		} else {
			req.Header.Set("Authorization", "Bearer k")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), c.want) {
			t.Errorf("%s %s: %d %s, want 400 saying %s", c.url, c.body, resp.StatusCode, b, c.want)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// keysOf computes the keys the Batcher gives texts.
func keysOf(t *testing.T, be Backend, model string, texts []string) []Item {
	t.Helper()
	items := make([]Item, len(texts))
	for i, q := range texts {
		r := userReq(q)
		r.Model = model
		body, err := be.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		items[i] = Item{Key: Key(be.Provider(), model, body), Body: body}
	}
	return items
}

// TestUnconfirmedJobIsFound: a crash between the create call and the
// journaling of its id leaves an intent; the next process finds the job by
// name and follows it instead of creating another.
func TestUnconfirmedJobIsFound(t *testing.T) {
	for _, p := range protocols {
		for _, created := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/created=%v", p.name, created), func(t *testing.T) {
				bs := fake.NewBatch(t)
				be := p.backend(bs, 0)
				jpath := filepath.Join(t.TempDir(), "j.jsonl")
				qs := questions(3)
				items := keysOf(t, be, p.model, qs)
				keys := make([]string, len(items))
				for i, it := range items {
					keys[i] = it.Key
				}
				j, err := OpenJournal(jpath, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := j.Submitting(be.Provider(), p.model, "llmrouter-lost-1", keys); err != nil {
					t.Fatal(err)
				}
				j.Close()
				// Another job first, so the lookup has to skip one.
				if _, err := be.Submit(context.Background(), p.model, "someone-else", items[:1]); err != nil {
					t.Fatal(err)
				}
				if created {
					if _, err := be.Submit(context.Background(), p.model, "llmrouter-lost-1", items); err != nil {
						t.Fatal(err)
					}
				}
				b := newBatcher(t, be, p.model, jpath, nil)
				got, errs := completeAll(context.Background(), b, qs)
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				for i := range qs {
					if !strings.HasSuffix(got[i].Text, qs[i]) {
						t.Errorf("answer %q", got[i].Text)
					}
				}
				// created: the lost job and the other one; not created: the
				// other one and the job submitted now.
				if jobs := bs.Jobs(); len(jobs) != 2 {
					t.Fatalf("%d jobs (%+v), want 2", len(jobs), jobs)
				}
				data, _ := os.ReadFile(jpath)
				if want := map[bool]string{true: `"event":"submitted"`, false: `"event":"abandoned"`}[created]; !bytes.Contains(data, []byte(want)) {
					t.Errorf("journal lacks %s:\n%s", want, data)
				}
			})
		}
	}
}

// lossy creates the job and then reports a lost connection, as when the
// answer to the create call never arrives.
type lossy struct{ Backend }

func (l lossy) Submit(ctx context.Context, model, name string, items []Item) (Job, error) {
	if _, err := l.Backend.Submit(ctx, model, name, items); err != nil {
		return Job{}, err
	}
	return Job{}, &apierr.Error{Code: apierr.UpstreamUnavailable, Msg: "connection reset"}
}

// TestLostCreateAnswerIsLookedUp: when the create call's outcome is
// unknown, the Batcher looks the job up instead of creating it again.
func TestLostCreateAnswerIsLookedUp(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			bs := fake.NewBatch(t)
			b := newBatcher(t, lossy{p.backend(bs, 0)}, p.model, filepath.Join(t.TempDir(), "j.jsonl"), nil)
			_, errs := completeAll(context.Background(), b, questions(3))
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if jobs := bs.Jobs(); len(jobs) != 1 {
				t.Fatalf("%d jobs, want 1", len(jobs))
			}
		})
	}
}

// flaky fails the first polls with a server error.
type flaky struct {
	Backend
	mu    sync.Mutex
	fails int
}

func (f *flaky) Poll(ctx context.Context, id string) (Job, error) {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return Job{}, &apierr.Error{Code: apierr.UpstreamUnavailable, UpstreamStatus: 503, Msg: "503 UNAVAILABLE"}
	}
	return f.Backend.Poll(ctx, id)
}

// TestPollErrors: transient poll failures are ridden out; a job that
// keeps failing to poll ends its callers' wait with the error.
func TestPollErrors(t *testing.T) {
	for _, fails := range []int{3, 1000} {
		t.Run(fmt.Sprint(fails), func(t *testing.T) {
			bs := fake.NewBatch(t)
			be := &flaky{Backend: protocols[0].backend(bs, 0), fails: fails}
			b := newBatcher(t, be, "gemini-2.5-flash", filepath.Join(t.TempDir(), "j.jsonl"), nil)
			_, err := b.Complete(context.Background(), userReq("hello"))
			if fails < pollErrorLimit && err != nil {
				t.Fatalf("after %d failed polls: %v", fails, err)
			}
			if fails >= pollErrorLimit && (err == nil || !strings.Contains(err.Error(), "503")) {
				t.Fatalf("persistent poll failure: %v, want the 503", err)
			}
		})
	}
}

// TestResultsGone: a journaled job whose results the provider has deleted
// cannot be read again; its requests go into a new job.
func TestResultsGone(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			bs := fake.NewBatch(t)
			jpath := filepath.Join(t.TempDir(), "j.jsonl")
			qs := questions(2)
			first := newBatcher(t, p.backend(bs, 1), p.model, jpath, nil) // Gemini: file output
			if _, errs := completeAll(context.Background(), first, qs); errors.Join(errs...) != nil {
				t.Fatal(errors.Join(errs...))
			}
			first.Close()
			bs.DeleteFiles()
			second := newBatcher(t, p.backend(bs, 1), p.model, jpath, nil)
			got, errs := completeAll(context.Background(), second, qs)
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(got[1].Text, qs[1]) {
				t.Errorf("answer %q", got[1].Text)
			}
			if jobs := bs.Jobs(); len(jobs) != 2 {
				t.Fatalf("%d jobs, want the first and one resubmission", len(jobs))
			}
		})
	}
}

// TestOpenAIValidationFailure: an input file the API's validation step
// refuses fails the job, and the job's message names the line and the
// problem, as the API's errors.data does.
func TestOpenAIValidationFailure(t *testing.T) {
	bs := fake.NewBatch(t)
	be := protocols[1].backend(bs, 0)
	items := keysOf(t, be, "gpt-4o-mini", []string{"a", "b"})
	items[1].Key = items[0].Key
	job, err := be.Submit(context.Background(), "gpt-4o-mini", "dup", items)
	if err != nil {
		t.Fatal(err)
	}
	for !job.State.Done() {
		if job, err = be.Poll(context.Background(), job.ID); err != nil {
			t.Fatal(err)
		}
	}
	if job.State != Failed || !strings.Contains(job.Message, "line 2: duplicate_custom_id") {
		t.Fatalf("job %+v, want failed naming line 2's duplicate custom_id", job)
	}
}
