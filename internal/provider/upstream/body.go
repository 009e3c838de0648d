package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ReadBodyInto is ReadBody appending to buf, so callers can reuse one
// buffer across calls. A positive sizeHint (a Content-Length) sizes it
// once instead of letting it double from 512 bytes.
func ReadBodyInto(buf []byte, r io.Reader, limit, sizeHint int64) ([]byte, error) {
	buf = buf[:0]
	if sizeHint > 0 && sizeHint <= limit && int64(cap(buf)) < sizeHint+1 {
		// +1 so the read that sees EOF does not grow the buffer.
		buf = make([]byte, 0, sizeHint+1)
	} else if cap(buf) == 0 {
		buf = make([]byte, 0, 512) // where io.ReadAll starts
	}
	lr := io.LimitReader(r, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	if int64(len(buf)) > limit {
		return buf[:0], fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return buf, nil
}

// BodyInto is Body reading into buf (see ReadBodyInto). The returned slice
// may be buf grown; on error it is still returned for reuse, emptied.
func (c Call) BodyInto(ctx context.Context, buf []byte, r io.Reader, limit, sizeHint int64) ([]byte, error) {
	b, err := ReadBodyInto(buf, r, limit, sizeHint)
	if errors.Is(err, ErrTooLarge) {
		return b[:0], c.Malformed(err)
	}
	if err != nil {
		return b[:0], c.Transport(ctx, err)
	}
	return b, nil
}
