package main

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/router"
)

func TestTrainCalibrationLine(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		mt   router.Metrics
		want string
	}{
		{"no validation", router.Metrics{}, ""},
		{"sft only", router.Metrics{ValidationCalibrationExamples: 182, ValidationECEPolicySFT: f(0.0412), ValidationMeanTopPolicySFT: f(0.7)},
			"calibration: policy-head ECE 0.041, mean top probability 0.700 (validation, 182 rows)"},
		{"sft and dpo", router.Metrics{ValidationCalibrationExamples: 182,
			ValidationECEPolicySFT: f(0.0412), ValidationMeanTopPolicySFT: f(0.7),
			ValidationECEPolicyDPO: f(0.0381), ValidationMeanTopPolicyDPO: f(0.72)},
			"calibration: policy-head ECE SFT 0.041, SFT+DPO 0.038; mean top probability 0.700, 0.720 (validation, 182 rows)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := trainCalibrationLine(tc.mt); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
