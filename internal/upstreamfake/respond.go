package upstreamfake

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"time"
)

// run carries out the scripted fault for a parsed, admitted request.
func (x *exchange) run() {
	f := x.fault
	midStream := x.req.Stream && f.AfterChunks > 0
	switch f.Kind {
	case Status:
		x.writeError(f.Status, "")
		return
	case Reset:
		if !midStream {
			x.reset()
			return
		}
	case Hang:
		if !midStream {
			x.hang()
		}
	case Malformed:
		x.malformed()
		return
	}
	rp := x.s.buildReply(x.req, f, x.call.Index)
	x.gen = rp.usage
	if x.req.Stream {
		x.stream(rp)
	} else {
		x.unary(rp)
	}
}

func (x *exchange) start(status int, contentType string) {
	x.call.Status = status
	x.w.Header().Set("Content-Type", contentType)
	if contentType == "text/event-stream" {
		x.w.Header().Set("Cache-Control", "no-cache")
	}
	x.w.WriteHeader(status)
}

// write sends b, dribbling it when the fault asks for a trickle. It
// returns false once the client is gone or the server is closing.
func (x *exchange) write(b []byte) bool {
	if x.failed {
		return false
	}
	step := x.fault.TrickleBytes
	if step <= 0 {
		step = len(b)
	}
	for len(b) > 0 {
		// Pause before a piece, never after the last one: a client that has
		// read everything may hang up, and that is no failure.
		if x.fault.TrickleBytes > 0 && x.call.Status != 0 {
			x.flush()
			if x.failed || !x.s.wait(x.r.Context(), x.fault.TrickleDelay) {
				x.failed = true
				return false
			}
		}
		n := min(step, len(b))
		if _, err := x.w.Write(b[:n]); err != nil {
			x.failed = true
			return false
		}
		b = b[n:]
	}
	if x.fault.TrickleBytes > 0 {
		x.flush()
	}
	return !x.failed
}

func (x *exchange) flush() {
	if x.call.Status == 0 {
		return // nothing sent yet: flushing would send a 200 header
	}
	if err := http.NewResponseController(x.w).Flush(); err != nil {
		x.failed = true
	}
}

// abort drops the connection without finishing the HTTP response, so the
// client sees an unexpected EOF rather than a clean end.
func (x *exchange) abort() {
	x.flush()
	panic(http.ErrAbortHandler)
}

// reset closes the TCP connection with RST (SO_LINGER 0).
func (x *exchange) reset() {
	x.flush()
	conn, _, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// hang sends nothing more until the client gives up or Close begins.
func (x *exchange) hang() {
	x.flush()
	select {
	case <-x.r.Context().Done():
	case <-x.s.closing:
	}
	panic(http.ErrAbortHandler)
}

var malformedBody = map[Protocol]string{
	Gemini: `{"candidates": [{"content": {"parts": [{"text": "ok"}]},, "finishReason": STOP}], "usageMetadata": }`,
	OpenAI: `{"id": "chatcmpl-x", "choices": [{"message": {"content": "ok"},, "finish_reason": stop}], "usage": }`,
}

// malformed answers 200 with syntactically invalid JSON (in the first SSE
// event for streams, which then end normally).
func (x *exchange) malformed() {
	bad := []byte(malformedBody[x.call.Protocol])
	if !x.req.Stream {
		x.start(http.StatusOK, "application/json; charset=UTF-8")
		x.write(bad)
		return
	}
	x.startStream()
	if x.event(bad) {
		x.end()
	}
}

func (x *exchange) unary(rp *reply) {
	f := x.fault
	if f.Kind == Corrupt {
		x.malformed()
		return
	}
	if rp.size > 0 {
		x.unaryEnormous(rp)
		return
	}
	b := x.enc.body(rp, rp.text)
	if f.Kind == Truncate {
		if !f.Clean {
			x.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		x.start(http.StatusOK, "application/json; charset=UTF-8")
		if x.write(b[:len(b)/2]) && !f.Clean {
			x.abort()
		}
		return
	}
	x.start(http.StatusOK, "application/json; charset=UTF-8")
	x.call.Served = x.write(b)
	x.reported = !rp.noUsage
}

// unaryEnormous writes the body around the text, never holding the text.
func (x *exchange) unaryEnormous(rp *reply) {
	b := x.enc.body(rp, textPlaceholder)
	i := bytes.Index(b, []byte(textPlaceholder))
	x.start(http.StatusOK, "application/json; charset=UTF-8")
	if !x.write(b[:i]) {
		return
	}
	buf := bytes.Repeat([]byte(enormousUnit), enormousPiece/len(enormousUnit))
	for left := rp.size; left > 0; left -= enormousPiece {
		if !x.write(buf[:min(left, enormousPiece)]) {
			return
		}
	}
	x.call.Served = x.write(b[i+len(textPlaceholder):])
	x.reported = !rp.noUsage
}

func (x *exchange) startStream() {
	if x.sse {
		x.start(http.StatusOK, "text/event-stream")
	} else {
		x.start(http.StatusOK, "application/json; charset=UTF-8")
	}
}

// event frames one stream event and flushes it.
func (x *exchange) event(b []byte) bool {
	var ok bool
	switch {
	case x.sse:
		ok = x.write([]byte("data: ")) && x.write(b) && x.write([]byte(x.enc.sep()))
	case x.events == 0:
		ok = x.write([]byte("[")) && x.write(b)
	default:
		ok = x.write([]byte(",\r\n")) && x.write(b)
	}
	x.events++
	x.flush()
	return ok && !x.failed
}

// end writes the stream terminator ([DONE] for OpenAI, "]" for arrays).
func (x *exchange) end() bool {
	if !x.sse {
		return x.write([]byte("]"))
	}
	if d := x.enc.done(); d != "" {
		return x.write([]byte(d))
	}
	return true
}

func (x *exchange) stream(rp *reply) {
	f := x.fault
	x.startStream()
	for _, ev := range x.enc.preamble(rp) {
		if !x.event(ev) {
			return
		}
	}
	n := rp.numPieces()
	after := f.AfterChunks
	if after <= 0 {
		after = n / 2
	}
	if len(x.enc.trailer(rp)) == 0 {
		// Gemini's last text event is also its final one: cut before it.
		after = min(after, n-1)
	}
	i := 0
	for p := range rp.pieces() {
		if i == after && !x.midStreamFault() {
			return
		}
		if !x.event(x.enc.chunk(rp, p, i == n-1)) {
			return
		}
		i++
	}
	if after >= n && !x.midStreamFault() {
		return
	}
	for _, ev := range x.enc.trailer(rp) {
		if !x.event(ev) {
			return
		}
	}
	if !x.end() {
		return
	}
	x.flush()
	x.call.Served = f.Kind != Corrupt && !x.failed
	x.reported = !rp.noUsage && (x.call.Protocol == Gemini || x.req.IncludeUsage)
}

// midStreamFault applies the fault due at this point of a stream and says
// whether the stream goes on.
func (x *exchange) midStreamFault() bool {
	switch x.fault.Kind {
	case Truncate:
		if x.fault.Clean {
			x.flush()
			return false
		}
		x.abort()
	case Reset:
		x.reset()
		return false
	case Hang:
		x.hang()
	case Corrupt:
		garbage := []byte("{\"candidates\": [{\"content\": \x00\xff\xfe garbage")
		if x.sse {
			return x.write([]byte("data: ")) && x.write(garbage) && x.write([]byte(x.enc.sep()))
		}
		return x.write([]byte(",\r\n")) && x.write(garbage)
	}
	return true
}

func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
