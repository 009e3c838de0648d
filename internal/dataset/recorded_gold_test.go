package dataset

import "testing"

func TestGoldFromResponses(t *testing.T) {
	tests := []struct {
		name string
		r    RecordedItem
		want string
	}{
		{"both wrong", RecordedItem{CheapResponse: "#### 1", StrongResponse: "#### 2"}, ""},
		{"strong marker preferred", RecordedItem{CheapCorrect: true, StrongCorrect: true, CheapResponse: "#### 1", StrongResponse: "#### 2"}, "2"},
		{"marker beats prose", RecordedItem{CheapCorrect: true, StrongCorrect: true, CheapResponse: "#### 1", StrongResponse: "It is 2."}, "1"},
		{"only cheap correct", RecordedItem{CheapCorrect: true, CheapResponse: "It is 5.", StrongResponse: "#### 2"}, "5"},
		{"correct but no number", RecordedItem{StrongCorrect: true, StrongResponse: "none"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := GoldFromResponses(tc.r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
