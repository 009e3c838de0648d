package openaiapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// MarshalJSON writes the fields above as encoding/json writes the struct,
// then the Extra members in key order, each value as encoding/json writes
// a json.RawMessage (compacted, HTML characters escaped, invalid JSON an
// error). A member named like a field of the struct is never sent,
// whether or not the field is set, so a client cannot override what the
// gateway owns.
func (r *ChatRequest) MarshalJSON() ([]byte, error) {
	type plain ChatRequest // the struct without this method
	var b []byte
	var err error
	if r.HasMedia() {
		b, err = r.marshalWithParts()
	} else {
		b, err = json.Marshal((*plain)(r))
	}
	if err != nil || len(r.Extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		if !ownedFields[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = b[:len(b)-1] // reopen the object
	for _, k := range keys {
		v, err := json.Marshal(r.Extra[k])
		if err != nil {
			return nil, err
		}
		name, _ := json.Marshal(k) // a string cannot fail
		b = append(append(append(append(b, ','), name...), ':'), v...)
	}
	return append(b, '}'), nil
}

// ownedFields are the JSON names of ChatRequest's fields, read from its
// tags so that a new field is owned as soon as it is declared.
var ownedFields = func() map[string]bool {
	names := map[string]bool{}
	rt := reflect.TypeFor[ChatRequest]()
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "-" {
			names[name] = true
		}
	}
	return names
}()
