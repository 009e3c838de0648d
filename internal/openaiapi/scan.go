package openaiapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter/internal/wirejson"
)

// fastPaths is false only in tests, which compare every result and error
// of the hand-written decoding against the encoding/json route.
var fastPaths = true

// rawField is one member of a JSON object: its decoded key and its value
// exactly as sent (no surrounding whitespace), as json.RawMessage has it.
type rawField struct {
	key string
	val []byte
}

// rawFields are an object's members in order. Like the map encoding/json
// would build, a repeated key means its last value.
type rawFields []rawField

func (fs rawFields) get(k string) ([]byte, bool) {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].key == k {
			return fs[i].val, true
		}
	}
	return nil, false
}

// splitObject validates the object data holds (with optional surrounding
// whitespace) and returns its members, their values slicing data. It is
// false for anything that is not a valid object: the caller then lets
// encoding/json produce its usual error.
func splitObject(data []byte) (rawFields, bool) {
	fs := make(rawFields, 0, 8)
	ok := eachMember(data, func(key, val []byte) {
		fs = append(fs, rawField{key: memberKey(key, knownFields), val: val})
	})
	return fs, ok
}

// eachMember validates the object data holds and calls fn with each
// member's key token (quotes included) and value.
func eachMember(data []byte, fn func(key, val []byte)) bool {
	if !fastPaths {
		return false
	}
	i := wirejson.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = wirejson.SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return wirejson.SkipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		kend, _, ok := wirejson.ScanString(data, i)
		if !ok {
			return false
		}
		key := data[i:kend]
		i = wirejson.SkipSpace(data, kend)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		vstart := wirejson.SkipSpace(data, i+1)
		vend, ok := wirejson.SkipValueAt(data, vstart, 1)
		if !ok {
			return false
		}
		fn(key, data[vstart:vend])
		next, end, ok := afterItem(data, vend, '}')
		if !ok || end {
			return ok && wirejson.SkipSpace(data, next) == len(data)
		}
		i = next
	}
}

// afterItem reads the comma or the closing byte that follows an object
// member or array element ending at i, as every scanner here must: end is
// set at close, next is the index after it or the next item's start.
func afterItem(b []byte, i int, close byte) (next int, end, ok bool) {
	if i = wirejson.SkipSpace(b, i); i >= len(b) {
		return i, false, false
	}
	switch b[i] {
	case ',':
		return wirejson.SkipSpace(b, i+1), false, true
	case close:
		return i + 1, true, true
	}
	return i, false, false
}

// memberKey decodes a key token, returning the entry of names it equals
// without allocating.
func memberKey(tok []byte, names []string) string {
	inner := tok[1 : len(tok)-1]
	for _, n := range names {
		if string(inner) == n {
			return n
		}
	}
	return wirejson.Unquote(tok)
}

// splitArray is splitObject for an array: its elements, slicing v.
func splitArray(v []byte) ([][]byte, bool) {
	if !fastPaths {
		return nil, false
	}
	i := wirejson.SkipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return nil, false
	}
	out := make([][]byte, 0, 4)
	i = wirejson.SkipSpace(v, i+1)
	if i < len(v) && v[i] == ']' {
		return out, wirejson.SkipSpace(v, i+1) == len(v)
	}
	for {
		end, ok := wirejson.SkipValueAt(v, i, 1)
		if !ok {
			return nil, false
		}
		out = append(out, v[i:end])
		next, last, ok := afterItem(v, end, ']')
		switch {
		case !ok:
			return nil, false
		case last:
			return out, wirejson.SkipSpace(v, next) == len(v)
		}
		i = next
	}
}

var wireMessageKeys = []string{"role", "content", "name", "tool_calls", "tool_call_id", "extra_content",
	"refusal", "audio", "function_call"}

// splitWireMessage fills w from the object raw as json.Unmarshal would:
// a key names the field it equals, else one it equals ignoring case, and
// a repeated field keeps its last value.
func splitWireMessage(raw []byte, w *wireMessage) bool {
	// In wireMessageKeys' order.
	dst := [...]*json.RawMessage{&w.Role, &w.Content, &w.Name, &w.ToolCalls, &w.ToolCallID, &w.ExtraContent,
		&w.Refusal, &w.Audio, &w.FunctionCall}
	return eachMember(raw, func(key, val []byte) {
		if f := wireMessageField(memberKey(key, wireMessageKeys)); f >= 0 {
			*dst[f] = val
		}
	})
}

func wireMessageField(k string) int {
	for i, n := range wireMessageKeys {
		if k == n {
			return i
		}
	}
	for i, n := range wireMessageKeys {
		if strings.EqualFold(k, n) {
			return i
		}
	}
	return -1
}

// fastString decodes v when it is exactly one JSON string, as
// json.Unmarshal into a string would.
func fastString(v []byte) (string, bool) {
	if !fastPaths || len(v) < 2 || v[0] != '"' {
		return "", false
	}
	end, _, ok := wirejson.ScanString(v, 0)
	if !ok || end != len(v) {
		return "", false
	}
	return wirejson.Unquote(v), true
}

// fastFloat decodes v when it is exactly one JSON number, as
// json.Unmarshal into a float64 would (ok is false for out-of-range
// numbers too, which encoding/json rejects).
func fastFloat(v []byte) (float64, bool) {
	if !fastPaths {
		return 0, false
	}
	end, ok := wirejson.ScanNumber(v, 0)
	if !ok || end != len(v) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, err == nil
}
