// Package pyliteral parses the Python literals (dicts, lists, strings,
// numbers, True/False/None) that data sets such as SimpleQA store in their
// metadata columns, without running Python.
package pyliteral

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLiteralDepth bounds nesting so hostile input cannot exhaust the stack.
const maxLiteralDepth = 64

var (
	simpleEscapes = map[byte]string{'\\': `\`, '\'': `'`, '"': `"`, 'n': "\n", 't': "\t", 'r': "\r",
		'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '\n': ""}
	hexEscapeWidth = map[byte]int{'x': 2, 'u': 4, 'U': 8}
	pyConstants    = []struct {
		word string
		val  any
	}{{"True", true}, {"False", false}, {"None", nil}}
)

// Parse parses the subset of Python literal syntax that SimpleQA's
// metadata column uses: strings in either quote style with backslash escapes
// (optionally u/r-prefixed), lists, tuples, dicts with string keys, integers,
// floats, True, False and None. It never evaluates anything. Results are
// string, float64, bool, nil, []any and map[string]any.
func Parse(s string) (any, error) {
	p := &pyParser{src: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected %q after value", p.peekRune())
	}
	return v, nil
}

type pyParser struct {
	src string
	pos int
}

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("python literal at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *pyParser) peekRune() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return string(r)
}

func (p *pyParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxLiteralDepth {
		return nil, p.errorf("nested deeper than %d", maxLiteralDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.src[p.pos]; {
	case c == '\'' || c == '"':
		return p.str(false)
	case (c == 'u' || c == 'U' || c == 'r' || c == 'R') && p.pos+1 < len(p.src) &&
		(p.src[p.pos+1] == '\'' || p.src[p.pos+1] == '"'):
		p.pos++
		return p.str(c == 'r' || c == 'R')
	case c == '[':
		return p.seq(']', depth)
	case c == '(':
		return p.seq(')', depth)
	case c == '{':
		return p.dict(depth)
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	for _, k := range pyConstants {
		if strings.HasPrefix(p.src[p.pos:], k.word) && !p.identAt(p.pos+len(k.word)) {
			p.pos += len(k.word)
			return k.val, nil
		}
	}
	return nil, p.errorf("unexpected %q", p.peekRune())
}

func (p *pyParser) identAt(i int) bool {
	if i >= len(p.src) {
		return false
	}
	c := p.src[i]
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// seq parses a list or tuple body up to close; a trailing comma is allowed.
func (p *pyParser) seq(close byte, depth int) (any, error) {
	p.pos++ // opening bracket
	out := []any{}
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == close {
			p.pos++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if err := p.sep(close); err != nil {
			return nil, err
		}
	}
}

// sep consumes a comma, or leaves the closing bracket for the caller.
func (p *pyParser) sep(close byte) error {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return p.errorf("missing %q", string(close))
	}
	switch p.src[p.pos] {
	case ',':
		p.pos++
		return nil
	case close:
		return nil
	}
	return p.errorf("want ',' or %q, got %q", string(close), p.peekRune())
}

func (p *pyParser) dict(depth int) (any, error) {
	p.pos++ // '{'
	out := map[string]any{}
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return out, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errorf("dict key must be a string, got %T", k)
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf("want ':' after dict key %q", key)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[key] = v
		if err := p.sep('}'); err != nil {
			return nil, err
		}
	}
}

func (p *pyParser) number() (any, error) {
	start := p.pos
	for p.pos < len(p.src) && strings.IndexByte("+-0123456789.eE", p.src[p.pos]) >= 0 {
		p.pos++
	}
	text := p.src[start:p.pos]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.pos = start
		return nil, p.errorf("invalid number %q", text)
	}
	return f, nil
}

// str parses a quoted string starting at the quote character.
func (p *pyParser) str(raw bool) (any, error) {
	quote := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\n':
			return nil, p.errorf("newline in string")
		case c == '\\' && raw:
			// In a raw string a backslash still protects the next character
			// from ending the literal, but both are kept.
			if p.pos+1 >= len(p.src) {
				return nil, p.errorf("unterminated string")
			}
			b.WriteString(p.src[p.pos : p.pos+2])
			p.pos += 2
		case c == '\\':
			if err := p.escape(&b); err != nil {
				return nil, err
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// escape decodes one backslash escape at p.pos into b.
func (p *pyParser) escape(b *strings.Builder) error {
	if p.pos+1 >= len(p.src) {
		return p.errorf("unterminated escape")
	}
	c := p.src[p.pos+1]
	p.pos += 2
	if s, ok := simpleEscapes[c]; ok {
		b.WriteString(s)
		return nil
	}
	width := hexEscapeWidth[c]
	if width == 0 {
		if c >= '0' && c <= '7' {
			return p.octal(b, c)
		}
		// Python keeps unknown escapes verbatim.
		b.WriteByte('\\')
		b.WriteByte(c)
		return nil
	}
	if p.pos+width > len(p.src) {
		return p.errorf("truncated \\%c escape", c)
	}
	n, err := strconv.ParseUint(p.src[p.pos:p.pos+width], 16, 32)
	if err != nil || n > utf8.MaxRune {
		return p.errorf("invalid \\%c escape %q", c, p.src[p.pos:p.pos+width])
	}
	p.pos += width
	b.WriteRune(rune(n))
	return nil
}

func (p *pyParser) octal(b *strings.Builder, first byte) error {
	n := int(first - '0')
	for i := 0; i < 2 && p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '7'; i++ {
		n = n*8 + int(p.src[p.pos]-'0')
		p.pos++
	}
	b.WriteRune(rune(n))
	return nil
}
