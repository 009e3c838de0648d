package router

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/cascade"
)

// CascadeConfig controls the cascade verifier Train fits next to the
// router.
type CascadeConfig struct {
	// Off skips the verifier even when the rows carry cheap answers.
	Off bool
	// EscalationShare sets its initial threshold; 0 picks the share that
	// keeps 95% of strong-only accuracy out of fold.
	EscalationShare float64
}

// cascadeResult is what the verifier's training goroutine leaves behind.
type cascadeResult struct {
	v     *cascade.Verifier
	stage Stage
	err   error
}

// startCascade trains the verifier on its own goroutine (it reads answers,
// not the router's features, so it needs nothing from the router's fits).
// Baseline kinds (kNN, random) exist to be compared with the query router
// and get none; the result is then empty.
func startCascade(ctx context.Context, cfg TrainConfig, ex []example, wg *sync.WaitGroup) *cascadeResult {
	r := &cascadeResult{}
	if cfg.Kind != KindClassifier {
		return r
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.v, r.stage, r.err = trainCascade(ctx, cfg, ex)
	}()
	return r
}

// cascadeExamples are the SFT rows that carry a cheap answer and a cell.
func cascadeExamples(ex []example) []cascade.Example {
	var out []cascade.Example
	for _, e := range ex {
		if e.answer == "" || e.cell < 0 {
			continue
		}
		c, s := cellCorrect(e.cell)
		out = append(out, cascade.Example{
			Query: e.query, Answer: e.answer, CheapCorrect: c == 1, StrongCorrect: s == 1,
			QueryScore: math.NaN(),
		})
	}
	return out
}

// trainCascade fits the verifier, or says in the stage why it did not. Only
// a failure on rows that do carry answers is an error.
func trainCascade(ctx context.Context, cfg TrainConfig, ex []example) (*cascade.Verifier, Stage, error) {
	start := time.Now()
	st := Stage{Name: "cascade"}
	if cfg.Cascade.Off {
		st.Detail = "skipped: turned off"
		return nil, st, nil
	}
	rows := cascadeExamples(ex)
	v, err := cascade.Train(ctx, rows, cascade.TrainConfig{Seed: cfg.Seed, EscalationShare: cfg.Cascade.EscalationShare, Log: cfg.Log})
	st.Duration = time.Since(start)
	switch {
	case errors.Is(err, cascade.ErrNoAnswers):
		st.Detail = "skipped: the training rows carry no cheap-model answer texts (recorded MMLU has outcomes only); the model has no cascade"
		cfg.Log.Warn("cascade verifier not trained: the training rows carry no cheap-model answer texts")
		return nil, st, nil
	case err != nil && len(rows) < cascade.MinRows:
		st.Detail = "skipped: " + err.Error()
		cfg.Log.Warn("cascade verifier not trained", "reason", err)
		return nil, st, nil
	case err != nil:
		return nil, st, fmt.Errorf("cascade verifier: %w", err)
	}
	mt := v.Meta.Metrics
	st.Detail = fmt.Sprintf("%d answers, %s, cross-validated APGR %.3f (rule-based %.3f), escalation share %.0f%% at threshold %.4f",
		len(rows), mt.Chosen, mt.CVAPGR[mt.Chosen], mt.CVAPGRRule, 100*v.Meta.ThresholdShare, v.Meta.Threshold)
	return v, st, nil
}
