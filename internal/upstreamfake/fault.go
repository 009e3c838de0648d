package upstreamfake

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Kind is what the fake does instead of (or while) answering normally.
type Kind string

const (
	// None answers normally (Latency and trickle still apply).
	None Kind = "none"
	// Status replies with Fault.Status and a protocol-correct error body
	// (429, 500, 503, 400, 401, 403, 404...; 502 gets an HTML body as a
	// real load balancer sends). RetryAfter sets Retry-After headers.
	Status Kind = "status"
	// Reset closes the TCP connection with RST (SO_LINGER 0): before any
	// byte, or after AfterChunks stream events when AfterChunks > 0.
	Reset Kind = "reset"
	// Hang sends nothing more until the client gives up or the server
	// closes: before any byte, or after AfterChunks stream events.
	Hang Kind = "hang"
	// Malformed sends 200 with a body (or first SSE event) that is not JSON.
	Malformed Kind = "malformed"
	// Truncate cuts a stream after AfterChunks events (zero: half of them),
	// or a non-stream body half way, without the final event or [DONE]. The
	// connection is aborted (unexpected EOF) unless Clean is set, in which
	// case the HTTP response ends normally but early.
	Truncate Kind = "truncate"
	// Corrupt inserts a `data:` line of garbage after AfterChunks events
	// (zero: half) and then finishes the stream normally; non-stream
	// requests get a malformed body.
	Corrupt Kind = "corrupt"
	// NoUsage answers normally but omits usage / usageMetadata everywhere.
	NoUsage Kind = "no_usage"
	// Enormous answers with Size bytes of text ("lorem lorem ..."),
	// written in small pieces so the fake never holds it in memory.
	Enormous Kind = "enormous"
)

// Fault is the behaviour scripted for one call. The zero value answers normally.
type Fault struct {
	Kind Kind
	// Latency is waited before the first byte, on top of the server-wide latency.
	Latency time.Duration
	// TrickleBytes > 0 dribbles the whole response body TrickleBytes at a
	// time, flushing and sleeping TrickleDelay between pieces.
	TrickleBytes int
	TrickleDelay time.Duration
	// Status is the HTTP status for Kind Status.
	Status int
	// RetryAfter, when > 0, is sent as Retry-After (whole seconds, rounded
	// up) and retry-after-ms, and as a RetryInfo detail in Gemini bodies.
	RetryAfter time.Duration
	// AfterChunks is how many stream events precede a mid-stream fault.
	AfterChunks int
	// Clean ends a truncated response normally instead of aborting it.
	Clean bool
	// Size is the answer size in bytes for Kind Enormous (default 64 MiB).
	Size int64
}

// Label names the fault for counters: the kind, "status_<code>" for
// statuses, and "trickle" / "latency" for otherwise normal answers.
func (f Fault) Label() string {
	switch {
	case f.Kind == Status:
		return fmt.Sprintf("status_%d", f.Status)
	case f.Kind == "" || f.Kind == None:
		if f.TrickleBytes > 0 {
			return "trickle"
		}
		if f.Latency > 0 {
			return "latency"
		}
		return string(None)
	}
	return string(f.Kind)
}

// RateLimited is a 429 with a Retry-After hint.
func RateLimited(retryAfter time.Duration) Fault {
	return Fault{Kind: Status, Status: 429, RetryAfter: retryAfter}
}

// HTTPStatus is an error reply with the given status code.
func HTTPStatus(code int) Fault { return Fault{Kind: Status, Status: code} }

// Script picks the fault for each call. index counts calls that reached
// the script (0-based, server-wide, in arrival order); req is the parsed
// request. Scripts are called under no lock and must be safe for
// concurrent use (all constructors here are).
type Script func(index int, req *Request) Fault

// Queue returns faults in order, one per call, then answers normally.
func Queue(faults ...Fault) Script {
	var mu sync.Mutex
	q := append([]Fault(nil), faults...)
	return func(int, *Request) Fault {
		mu.Lock()
		defer mu.Unlock()
		if len(q) == 0 {
			return Fault{}
		}
		f := q[0]
		q = q[1:]
		return f
	}
}

// Always applies f to every call.
func Always(f Fault) Script { return func(int, *Request) Fault { return f } }

// ForModel applies s to calls for model and answers every other model normally.
// Queue state inside s advances only on that model's calls.
func ForModel(model string, s Script) Script {
	return func(i int, r *Request) Fault {
		if r.Model != model {
			return Fault{}
		}
		return s(i, r)
	}
}

// Random faults a fraction of calls, choosing uniformly among faults, with
// a seeded generator: the same seed and call order give the same faults.
func Random(seed uint64, fraction float64, faults ...Fault) Script {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(int, *Request) Fault {
		mu.Lock()
		defer mu.Unlock()
		if len(faults) == 0 || rng.Float64() >= fraction {
			return Fault{}
		}
		return faults[rng.IntN(len(faults))]
	}
}

// EveryKind is one fault of each class, for sweeps and soak tests. The
// stalling kinds (Hang, long trickles) are left out: they need a client
// timeout to end, so add them explicitly where one is set.
func EveryKind() []Fault {
	return []Fault{
		RateLimited(time.Second),
		HTTPStatus(500), HTTPStatus(502), HTTPStatus(503),
		{Kind: Reset},
		{Kind: Malformed},
		{Kind: Truncate},
		{Kind: Corrupt},
		{Kind: NoUsage},
		{Kind: None, TrickleBytes: 64, TrickleDelay: time.Millisecond},
	}
}
