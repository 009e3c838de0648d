package openaiapi

import (
	"reflect"
	"strings"
	"testing"
)

// structFieldNames are the JSON names of ChatRequest's fields, read from
// its tags, so ownedFields cannot drift from the struct unnoticed.
func structFieldNames() map[string]bool {
	names := map[string]bool{}
	rt := reflect.TypeFor[ChatRequest]()
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "-" {
			names[name] = true
		}
	}
	return names
}

func TestOwnedFieldsMatchStruct(t *testing.T) {
	if want := structFieldNames(); !reflect.DeepEqual(ownedFields, want) {
		t.Fatalf("ownedFields = %v\nChatRequest's fields = %v", ownedFields, want)
	}
}
