package wirejson

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// needsEscape reports, for 8 bytes, whether any is one json.Marshal
// rewrites or must look at: a control character, '"', '\\', '<', '>', '&'
// or a byte of 0x80 and above (U+2028, U+2029 and invalid UTF-8).
func needsEscape(x uint64) bool {
	q := x ^ (lsb * '"')
	s := x ^ (lsb * '\\')
	lt := x ^ (lsb * '<')
	gt := x ^ (lsb * '>')
	amp := x ^ (lsb * '&')
	return ((q-lsb)&^q|(s-lsb)&^s|(lt-lsb)&^lt|(gt-lsb)&^gt|(amp-lsb)&^amp|(x-lsb*0x20)&^x|x)&msb != 0
}

// load64 reads 8 bytes of s little-endian; the compiler merges the loads.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// AppendString appends s as a JSON string, byte for byte what json.Marshal
// writes (with its default HTML escaping).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start, i := 0, 0
	for i < len(s) {
		if len(s)-i >= 8 && !needsEscape(load64(s, i)) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedByte(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// AppendFloat appends f as json.Marshal writes a float64. NaN and the
// infinities return json.Marshal's own error.
func AppendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f)
		return dst, err
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// Extra is an extra_content object as Gemini's OpenAI-compatible endpoint
// writes it on tool calls and messages: absent, {}, {"google":{}}, or
// carrying a thought signature. The gateway's responses and the upstream
// requests share this shape, so they share its encoding.
type Extra struct {
	Present, Google bool
	Signature       string
}

// AppendExtra appends e as encoding/json writes the equivalent struct (e
// must be Present).
func AppendExtra(dst []byte, e Extra) []byte {
	if !e.Google {
		return append(dst, "{}"...)
	}
	if e.Signature == "" {
		return append(dst, `{"google":{}}`...)
	}
	dst = append(dst, `{"google":{"thought_signature":`...)
	dst = AppendString(dst, e.Signature)
	return append(dst, "}}"...)
}

// AppendToolCall appends an OpenAI tool call object as encoding/json
// writes it: index, id and type omitted when empty, then function with
// name (omitted when empty) and arguments, then extra_content if present.
func AppendToolCall(dst []byte, index *int, id, typ, name, args string, e Extra) []byte {
	dst = append(dst, '{')
	if index != nil {
		dst = append(dst, `"index":`...)
		dst = strconv.AppendInt(dst, int64(*index), 10)
		dst = append(dst, ',')
	}
	if id != "" {
		dst = append(dst, `"id":`...)
		dst = AppendString(dst, id)
		dst = append(dst, ',')
	}
	if typ != "" {
		dst = append(dst, `"type":`...)
		dst = AppendString(dst, typ)
		dst = append(dst, ',')
	}
	dst = append(dst, `"function":{`...)
	if name != "" {
		dst = append(dst, `"name":`...)
		dst = AppendString(dst, name)
		dst = append(dst, ',')
	}
	dst = append(dst, `"arguments":`...)
	dst = AppendString(dst, args)
	dst = append(dst, '}')
	if e.Present {
		dst = append(dst, `,"extra_content":`...)
		dst = AppendExtra(dst, e)
	}
	return append(dst, '}')
}

// AppendArray appends s as encoding/json writes a slice: null when nil,
// else its elements, each appended by elem, in brackets.
func AppendArray[T any](dst []byte, s []T, elem func(*T, []byte) []byte) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = elem(&s[i], dst)
	}
	return append(dst, ']')
}

// AppendStringPtr appends *s as a JSON string, or null when s is nil.
func AppendStringPtr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return AppendString(dst, *s)
}
