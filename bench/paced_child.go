package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// pacedReq starts a fake upstream that answers with recorded texts, and a
// pacing proxy in front of it that makes those answers take a model's time.
type pacedReq struct {
	// Answers maps model + "\n" + question to the answer text.
	Answers map[string]string
	// FirstByte is the model's time to its first token; Event the time
	// between stream events (fakeChunkWords words each).
	FirstByte, Event time.Duration
}

type pacedResp struct {
	// Instant serves answers at once; Paced at the configured pace.
	Instant, Paced string
	PID            int
}

// fakeChunkWords is how many words each event of the fake's streams holds
// (upstreamfake's default).
const fakeChunkWords = 3

// childPaced runs the recorded-answer fake and its pacing proxy in one
// process until stdin closes. The fake itself sends everything at once; a
// cascade's effect on time to first token only shows when generating an
// answer takes time, so the proxy holds each stream event back by Event
// (and a whole answer by as long as its stream would have taken).
func childPaced(ctx context.Context, dec *json.Decoder, emit func(any) error) error {
	var req pacedReq
	if err := dec.Decode(&req); err != nil {
		return err
	}
	resp, stop, err := startPaced(req)
	if err != nil {
		return err
	}
	defer stop()
	if err := emit(resp); err != nil {
		return err
	}
	waitStdinClosed(ctx, dec)
	return nil
}

// startPaced serves the fake and the pacing proxy on loopback ports.
func startPaced(req pacedReq) (pacedResp, func(), error) {
	answer := func(r *upstreamfake.Request) upstreamfake.Reply {
		if a, ok := req.Answers[r.Model+"\n"+r.LastUser()]; ok {
			return upstreamfake.Reply{Text: a}
		}
		return upstreamfake.DefaultAnswer(r)
	}
	fake, err := upstreamfake.Start("127.0.0.1:0", upstreamfake.WithAnswer(answer), upstreamfake.WithCountersOnly(),
		upstreamfake.WithChunkWords(fakeChunkWords))
	if err != nil {
		return pacedResp{}, nil, err
	}
	u, err := url.Parse(fake.URL)
	if err != nil {
		fake.Close()
		return pacedResp{}, nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	rp.ModifyResponse = func(resp *http.Response) error { return pace(resp, req.FirstByte, req.Event) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fake.Close()
		return pacedResp{}, nil, err
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() { srv.Close(); fake.Close() }
	return pacedResp{Instant: fake.URL, Paced: "http://" + ln.Addr().String(), PID: os.Getpid()}, stop, nil
}

// pace delays resp: a stream event by event, a whole answer by the time
// its stream would have taken. The fake has sent everything at once, so
// the body is read up front and handed out from memory: the connection
// to the fake is not held open across the delays.
func pace(resp *http.Response, first, event time.Duration) error {
	ctx := resp.Request.Context()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body = &pacedStream{ctx: ctx, r: bufio.NewReader(bytes.NewReader(body)), wait: first, event: event}
		return nil
	}
	var out struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	events := 1
	if json.Unmarshal(body, &out) == nil && len(out.Choices) > 0 {
		events += (len(strings.Fields(out.Choices[0].Message.Content)) + fakeChunkWords - 1) / fakeChunkWords
	}
	if err := sleepCtx(ctx, first+time.Duration(events)*event); err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// pacedStream hands out one SSE event per Read call's worth, each after
// its delay (ReverseProxy flushes event streams on every write).
type pacedStream struct {
	ctx     context.Context
	r       *bufio.Reader
	pending []byte
	wait    time.Duration // before the next event
	event   time.Duration
}

func (p *pacedStream) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		ev, err := p.nextEvent()
		if len(ev) == 0 {
			return 0, err
		}
		if err := sleepCtx(p.ctx, p.wait); err != nil {
			return 0, err
		}
		p.wait, p.pending = p.event, ev
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

// nextEvent reads up to and including the blank line ending an event.
func (p *pacedStream) nextEvent() ([]byte, error) {
	var ev []byte
	for {
		line, err := p.r.ReadBytes('\n')
		ev = append(ev, line...)
		if err != nil || len(bytes.TrimSpace(line)) == 0 && len(ev) > len(line) {
			return ev, err
		}
	}
}

func (p *pacedStream) Close() error { return nil }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
