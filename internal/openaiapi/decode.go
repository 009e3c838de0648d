package openaiapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter/internal/wirejson"
)

// DecodeResponse decodes a completion or stream chunk body into w, as
// json.Unmarshal would. Bodies of the usual shape are read by a
// reflection-free decoder (the upstream decode was the largest JSON cost
// of a gateway call); anything it does not handle (invalid JSON, a type
// mismatch, a duplicate or case-folded key, a number outside the plain
// forms) goes to json.Unmarshal, so results and error texts are the
// standard library's. w keeps no reference to body.
func DecodeResponse(body []byte, w *ChatResponse) error {
	return decodeResponseIn(body, "", w)
}

// DecodeEvent is DecodeResponse for a stream event's data, whose strings
// w may share instead of copying them.
func DecodeEvent(data string, w *ChatResponse) error {
	return decodeResponseIn([]byte(data), data, w)
}

// decodeResponseIn is DecodeResponse for a body also held as a string.
func decodeResponseIn(body []byte, doc string, w *ChatResponse) error {
	d := respDecoder{b: body, doc: doc}
	if d.response(w) {
		return nil
	}
	*w = ChatResponse{}
	return json.Unmarshal(body, w)
}

// respDecoder reads b; a false result anywhere means "let encoding/json
// do it", never "invalid".
type respDecoder struct {
	b     []byte
	doc   string // b as a string, made on first need
	i     int
	depth int // objects and arrays open at i, for wirejson.MaxDepth
}

func (d *respDecoder) response(w *ChatResponse) bool {
	d.i = wirejson.SkipSpace(d.b, 0)
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return false
	}
	ok := d.object(responseFields, func(f int) bool {
		switch f {
		case 0:
			return d.str(&w.ID)
		case 1:
			return d.str(&w.Object)
		case 2:
			return d.int64(&w.Created)
		case 3:
			return d.str(&w.Model)
		case 4:
			return arrayOf(d, &w.Choices, d.choice)
		case 5:
			return d.null() || d.usage(&w.Usage)
		case 6:
			return d.raw(&w.Error)
		}
		return false
	})
	return ok && wirejson.SkipSpace(d.b, d.i) == len(d.b)
}

var (
	responseFields = []string{"id", "object", "created", "model", "choices", "usage", "error"}
	choiceFields   = []string{"index", "message", "delta", "finish_reason", "logprobs"}
	messageFields  = []string{"role", "content", "tool_calls", "tool_call_id", "name", "extra_content", "refusal", "annotations"}
	toolCallFields = []string{"index", "id", "type", "function", "extra_content"}
	extraFields    = []string{"google"}
	googleFields   = []string{"thought_signature"}
	functionFields = []string{"name", "arguments"}
	logprobsFields = []string{"content", "refusal"}
	tokenFields    = []string{"token", "logprob", "bytes", "top_logprobs"}
	usageFields    = []string{"prompt_tokens", "completion_tokens", "total_tokens", "completion_tokens_details", "cost_usd"}
	detailFields   = []string{"reasoning_tokens"}
)

const (
	unknownField = -1
	bail         = -2
)

// member resolves key k to the index of a field in names. A key that
// matches only case-insensitively (encoding/json would take it), repeats
// (encoding/json merges repeats) or has escapes returns bail.
func (d *respDecoder) member(k []byte, names []string, seen *uint32) int {
	for i, n := range names {
		if string(k) == n {
			if *seen&(1<<i) != 0 {
				return bail
			}
			*seen |= 1 << i
			return i
		}
	}
	for _, c := range k {
		if c == '\\' || c >= 0x80 {
			return bail
		}
	}
	for _, n := range names {
		if strings.EqualFold(string(k), n) {
			return bail
		}
	}
	return unknownField
}

func (d *respDecoder) choice(c *ResponseChoice) bool {
	if d.null() {
		return true
	}
	return d.object(choiceFields, func(f int) bool {
		switch f {
		case 0:
			return d.int(&c.Index)
		case 1:
			return d.null() || d.message(&c.Message)
		case 2:
			return d.null() || d.message(&c.Delta)
		case 3:
			return d.str(&c.FinishReason)
		case 4:
			return d.null() || d.logprobs(&c.Logprobs)
		}
		return false
	})
}

func (d *respDecoder) message(dst **Message) bool {
	m := &Message{}
	*dst = m
	return d.object(messageFields, func(f int) bool {
		switch f {
		case 0:
			return d.str(&m.Role)
		case 1:
			if d.null() {
				return true
			}
			var s string
			m.Content = &s
			return d.str(&s)
		case 2:
			return arrayOf(d, &m.ToolCalls, d.toolCall)
		case 3:
			return d.str(&m.ToolCallID)
		case 4:
			return d.str(&m.Name)
		case 5:
			return d.null() || d.extraContent(&m.ExtraContent)
		case 6:
			return d.str(&m.Refusal)
		case 7:
			// OpenAI sends an empty array on every answer: it shares
			// one copy instead of costing an allocation per message.
			v, ok := d.value()
			if ok && string(v) == "[]" {
				m.Annotations = emptyArray
				return true
			}
			m.Annotations = append(json.RawMessage(nil), v...)
			return ok
		}
		return false
	})
}

func (d *respDecoder) toolCall(tc *ToolCall) bool {
	if d.null() {
		return true
	}
	return d.object(toolCallFields, func(f int) bool {
		switch f {
		case 0:
			if d.null() {
				return true
			}
			var n int
			tc.Index = &n
			return d.int(&n)
		case 1:
			return d.str(&tc.ID)
		case 2:
			return d.str(&tc.Type)
		case 3:
			return d.null() || d.function(&tc.Function)
		case 4:
			return d.null() || d.extraContent(&tc.ExtraContent)
		}
		return false
	})
}

// extraContent reads Gemini's extra_content object (null is handled by
// the caller, as encoding/json leaves the pointer nil for it).
func (d *respDecoder) extraContent(dst **ExtraContent) bool {
	e := &ExtraContent{}
	*dst = e
	return d.object(extraFields, func(f int) bool {
		switch f {
		case 0:
			if d.null() {
				return true
			}
			e.Google = &GoogleExtra{}
			return d.object(googleFields, func(int) bool {
				return d.str(&e.Google.ThoughtSignature)
			})
		}
		return false
	})
}

func (d *respDecoder) function(f *FunctionCall) bool {
	return d.object(functionFields, func(i int) bool {
		switch i {
		case 0:
			return d.str(&f.Name)
		case 1:
			return d.str(&f.Arguments)
		}
		return false
	})
}

// logprobs reads a choice's logprobs object (null is the caller's).
func (d *respDecoder) logprobs(dst **ChoiceLogprobs) bool {
	lp := &ChoiceLogprobs{}
	*dst = lp
	return d.object(logprobsFields, func(f int) bool {
		switch f {
		case 0:
			return d.tokens(&lp.Content)
		case 1:
			return d.tokens(&lp.Refusal)
		}
		return false
	})
}

func (d *respDecoder) tokens(dst *[]TokenLogprob) bool {
	return arrayOf(d, dst, func(t *TokenLogprob) bool {
		var top []TopLogprob
		ok := d.token(&t.Token, &t.Logprob, &t.Bytes, &top)
		t.TopLogprobs = top
		return ok
	})
}

// token reads one token object; top is nil for a TopLogprob, which has
// no top_logprobs of its own (encoding/json would skip the key).
func (d *respDecoder) token(tok *string, logprob *float64, bytes *[]int, top *[]TopLogprob) bool {
	if d.null() {
		return true
	}
	names := tokenFields
	if top == nil {
		names = tokenFields[:3] // a TopLogprob skips top_logprobs, as encoding/json would
	}
	return d.object(names, func(f int) bool {
		switch f {
		case 0:
			return d.str(tok)
		case 1:
			return d.float(logprob)
		case 2:
			return arrayOf(d, bytes, d.int)
		case 3:
			return arrayOf(d, top, func(a *TopLogprob) bool {
				return d.token(&a.Token, &a.Logprob, &a.Bytes, nil)
			})
		}
		return false
	})
}

func (d *respDecoder) usage(dst **Usage) bool {
	u := &Usage{}
	*dst = u
	return d.object(usageFields, func(f int) bool {
		switch f {
		case 0:
			return d.int(&u.PromptTokens)
		case 1:
			return d.int(&u.CompletionTokens)
		case 2:
			return d.int(&u.TotalTokens)
		case 3:
			if d.null() {
				return true
			}
			u.CompletionTokensDetails = &CompletionTokensDetails{}
			return d.object(detailFields, func(int) bool {
				return d.int(&u.CompletionTokensDetails.ReasoningTokens)
			})
		case 4:
			if d.null() {
				return true
			}
			u.CostUSD = new(float64)
			return d.float(u.CostUSD)
		}
		return false
	})
}

// object reads an object at d.i whose known keys are names, calling field
// with the index in names of each known key with d.i at its value, which
// field must consume; unknown keys' values are skipped, and a key member
// bails on leaves the body to encoding/json.
func (d *respDecoder) object(names []string, field func(f int) bool) bool {
	b := d.b
	if d.i >= len(b) || b[d.i] != '{' {
		return false
	}
	d.depth++
	defer func() { d.depth-- }()
	var seen uint32
	d.i = wirejson.SkipSpace(b, d.i+1)
	if d.i < len(b) && b[d.i] == '}' {
		d.i++
		return true
	}
	for {
		if d.i >= len(b) || b[d.i] != '"' {
			return false
		}
		end, _, ok := wirejson.ScanString(b, d.i)
		if !ok {
			return false
		}
		k := b[d.i+1 : end-1]
		d.i = wirejson.SkipSpace(b, end)
		if d.i >= len(b) || b[d.i] != ':' {
			return false
		}
		d.i = wirejson.SkipSpace(b, d.i+1)
		switch f := d.member(k, names, &seen); f {
		case bail:
			return false
		case unknownField:
			if !d.skip() {
				return false
			}
		default:
			if !field(f) {
				return false
			}
		}
		var last bool
		if d.i, last, ok = afterItem(b, d.i, '}'); !ok || last {
			return ok
		}
	}
}

// arrayOf reads an array or null at d.i into *dst as encoding/json
// does: [] is an empty slice, not nil, and each element is appended
// zeroed and then read by elem.
func arrayOf[T any](d *respDecoder, dst *[]T, elem func(*T) bool) bool {
	return d.array(func(empty bool) bool {
		if empty {
			*dst = []T{}
			return true
		}
		var zero T
		*dst = append(*dst, zero)
		return elem(&(*dst)[len(*dst)-1])
	})
}

// array reads an array or null at d.i, calling elem for each element with
// d.i at it, or once with empty set for [].
func (d *respDecoder) array(elem func(empty bool) bool) bool {
	b := d.b
	if d.null() {
		return true
	}
	if d.i >= len(b) || b[d.i] != '[' {
		return false
	}
	d.depth++
	defer func() { d.depth-- }()
	d.i = wirejson.SkipSpace(b, d.i+1)
	if d.i < len(b) && b[d.i] == ']' {
		d.i++
		return elem(true)
	}
	for {
		if !elem(false) {
			return false
		}
		var last, ok bool
		if d.i, last, ok = afterItem(b, d.i, ']'); !ok || last {
			return ok
		}
	}
}

// null consumes a null literal at d.i if there is one.
func (d *respDecoder) null() bool {
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// emptyArray is the value of every empty annotations array decoded;
// readers must not modify it.
var emptyArray = json.RawMessage("[]")

// raw copies the value at d.i as encoding/json fills a json.RawMessage.
func (d *respDecoder) raw(dst *json.RawMessage) bool {
	v, ok := d.value()
	*dst = append(json.RawMessage(nil), v...)
	return ok
}

// value skips the value at d.i and returns its bytes, which share d.b.
func (d *respDecoder) value() ([]byte, bool) {
	start := d.i
	end, ok := wirejson.SkipValueAt(d.b, d.i, d.depth)
	d.i = end
	return d.b[start:end], ok
}

func (d *respDecoder) skip() bool {
	end, ok := wirejson.SkipValueAt(d.b, d.i, d.depth)
	d.i = end
	return ok
}

// str reads a string (or null, which leaves dst as it is).
func (d *respDecoder) str(dst *string) bool {
	if d.null() {
		return true
	}
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	start := d.i
	end, _, ok := wirejson.ScanString(d.b, start)
	if !ok {
		return false
	}
	d.i = end
	if d.doc == "" {
		d.doc = string(d.b) // one copy that every plain string shares
	}
	*dst = wirejson.UnquoteIn(d.doc, d.b[start:end], start)
	return true
}

// integer reads a number (or null: ok with null set) that encoding/json
// would store in an int of bits bits without error.
func (d *respDecoder) integer(bits int) (n int64, null, ok bool) {
	if d.null() {
		return 0, true, true
	}
	start := d.i
	end, ok := wirejson.ScanNumber(d.b, start)
	if !ok {
		return 0, false, false
	}
	d.i = end
	n, err := strconv.ParseInt(string(d.b[start:end]), 10, bits)
	return n, false, err == nil
}

func (d *respDecoder) int(dst *int) bool {
	n, null, ok := d.integer(strconv.IntSize)
	if ok && !null {
		*dst = int(n)
	}
	return ok
}

// float reads a number as encoding/json stores it in a float64; one out
// of range is left to encoding/json, which rejects it.
func (d *respDecoder) float(dst *float64) bool {
	start := d.i
	end, ok := wirejson.ScanNumber(d.b, start)
	if !ok {
		return false
	}
	d.i = end
	f, err := strconv.ParseFloat(string(d.b[start:end]), 64)
	*dst = f
	return err == nil
}

func (d *respDecoder) int64(dst *int64) bool {
	n, null, ok := d.integer(64)
	if ok && !null {
		*dst = n
	}
	return ok
}
