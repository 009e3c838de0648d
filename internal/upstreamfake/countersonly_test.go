package upstreamfake

import (
	"io"
	"testing"
	"time"
)

func TestCountersOnly(t *testing.T) {
	s := New(t, WithCountersOnly())
	c := client(t, 5*time.Second)
	for range 3 {
		resp, err := post(t.Context(), c, s, targets[0])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := s.WaitIdle(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Calls != 3 || st.Served != 3 || st.Usage.Total() == 0 || st.ByModel["gemini-2.5-flash"] != 3 {
		t.Errorf("counters not kept: %+v", st)
	}
	if len(s.Calls()) != 0 || len(st.ByPrompt) != 0 || len(st.ServedByPrompt) != 0 {
		t.Errorf("per-call state kept: %d calls, %d prompts", len(s.Calls()), len(st.ByPrompt))
	}
}
