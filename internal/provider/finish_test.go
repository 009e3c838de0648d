package provider

import (
	"testing"
	"time"
)

func TestFinishFillsModelLatencyAndMissingUsage(t *testing.T) {
	req := &Request{Model: "m-asked", Messages: []Message{{Role: "user", Content: "how many legs has a spider"}}}
	start := time.Now().Add(-time.Second)

	r := &Response{Text: "eight legs", Usage: Usage{Missing: true}}
	if !r.Finish(req, start) {
		t.Fatal("Finish on missing usage reported no estimate")
	}
	want := EstimateUsage(req, r.Text, nil)
	want.Missing = true
	if r.Usage != want || r.Model != "m-asked" || r.Latency < time.Second {
		t.Fatalf("Finish = usage %+v model %q latency %v, want usage %+v model m-asked latency >= 1s", r.Usage, r.Model, r.Latency, want)
	}

	sent := Usage{InputTokens: 7, OutputTokens: 2}
	r = &Response{Text: "eight", Model: "m-answered", Usage: sent}
	if r.Finish(req, start) || r.Usage != sent || r.Model != "m-answered" {
		t.Fatalf("Finish changed an upstream's own usage or model: %+v %q", r.Usage, r.Model)
	}
}
