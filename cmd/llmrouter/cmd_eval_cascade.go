package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// evaluateCascade returns the cascade section, or nil when there is nothing
// to evaluate: the model has no verifier, or the test rows' cheap answers
// are recorded-outcome stand-ins. query is the trained router's run.
func evaluateCascade(env *Env, o evalOptions, m *router.Model, rows []oracle.Row, query eval.RouterRun, models eval.Models) (*eval.CascadeSection, error) {
	v := m.Cascade
	if v == nil {
		env.Log.Info("no cascade section: the model has no cascade verifier (its training rows had no cheap-model answer texts)")
		return nil, nil
	}
	if n := eval.CountStandIns(rows); n > 0 {
		env.Log.Warn("cascade not evaluated: the test rows' cheap answers are recorded-outcome stand-ins, not answer texts the verifier can read",
			"stand_ins", n, "rows", len(rows))
		return nil, nil
	}
	src, err := latencySource(o.config, models)
	if err != nil {
		return nil, err
	}
	in := eval.NewCascadeInput(v, rows, query, src)
	sec, err := eval.EvaluateCascade(eval.QuestionsFromRows(rows), in)
	if err != nil {
		return nil, err
	}
	env.Log.Info("evaluated the cascade on the test split", "verifier", in.Verifier, "threshold", in.Threshold, "latency_source", src)
	return sec, nil
}

// latencySource is "replay" when either model is served by the replay
// provider, whose latencies are its own near-zero timings.
func latencySource(configPath string, models eval.Models) (string, error) {
	cat, err := catalog.LoadCatalogue(configPath)
	if err != nil {
		return "", err
	}
	if cat.Models[models.Cheap].Provider == "replay" || cat.Models[models.Strong].Provider == "replay" {
		return "replay", nil
	}
	return "live", nil
}

// printCascadeSummary prints the cascade comparison, its latency and the
// pre-routing hybrid under the routers' table.
func printCascadeSummary(w io.Writer, s *eval.CascadeSection) {
	fmt.Fprintf(w, "cascade: the cheap model answers every query; the verifier (%s) escalates to the strong model at escalate score >= %.4f\n",
		s.Verifier, float64(s.Threshold))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "name\tstrong calls\taccuracy\tPGR\tAPGR\tAUC\tshare@80%\tshare@90%\tshare@95%\tcost/query\tsavings\tcost/query@95%\tsavings@95%\t")
	for _, r := range s.Results {
		apgr, auc, s80, s90, s95 := "—", "—", "—", "—", "—"
		if r.CurveStats != nil {
			apgr, auc = fnum(r.APGR), fnum(r.AUC)
			s80, s90, s95 = fpct(r.StrongShareAt80), fpct(r.StrongShareAt90), fpct(r.StrongShareAt95)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, fpct(r.StrongShare), fpct(r.Accuracy), fnum(r.PGR),
			apgr, auc, s80, s90, s95, fusd(r.CostPerQuery), fpct(r.CostSavings), fusd(r.CostPerQueryAt95), fpct(r.CostSavingsAt95))
	}
	tw.Flush()
	printCascadeLatency(w, s.Latency)
	printHybrid(w, s)
}

func printCascadeLatency(w io.Writer, l eval.Latency) {
	note := "measured upstream calls"
	if l.Source == "replay" {
		note = "replayed: the replay provider's own timings, near zero offline; live runs record the models'"
	}
	fmt.Fprintf(w, "latency in ms (%s):\n", note)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tmean\tp50\tp95\t")
	for _, r := range l.Rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.Name, fms(r.Stats.Mean), fms(r.Stats.P50), fms(r.Stats.P95))
	}
	tw.Flush()
}

func printHybrid(w io.Writer, s *eval.CascadeSection) {
	if len(s.Hybrid.Results) == 0 {
		return
	}
	fmt.Fprintln(w, "pre-routing hybrid: the top query-router scores go straight to the strong model (no cheap call), the rest cascade:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "name\tskipped\tAPGR\tshare@95%\tcost/query@95%\tsavings@95%\taccuracy at threshold\tcost/query at threshold\t")
	if c := s.Learned(); c != nil {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", "pure cascade", fpct(0), fnum(c.APGR), fpct(c.StrongShareAt95),
			fusd(c.CostPerQueryAt95), fpct(c.CostSavingsAt95), fpct(c.Accuracy), fusd(c.CostPerQuery))
	}
	for _, h := range s.Hybrid.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", h.Name, fpct(h.SkipShare), fnum(h.APGR), fpct(h.StrongShareAt95),
			fusd(h.CostPerQueryAt95), fpct(h.CostSavingsAt95), fpct(h.AtThreshold.Accuracy), fusd(h.AtThreshold.CostPerQuery))
	}
	tw.Flush()
	fmt.Fprintf(w, "verdict: %s\n", s.Hybrid.Verdict)
}

// cascadeFigure is the eval stage's cascade key figure, "" without one.
func cascadeFigure(s *eval.CascadeSection) string {
	if s == nil {
		return ""
	}
	c := s.Learned()
	if c == nil {
		return ""
	}
	return fmt.Sprintf("cascade: APGR %s, escalation share @95%% %s, savings @95%% %s", fnum(c.APGR), fpct(c.StrongShareAt95), fpct(c.CostSavingsAt95))
}

func fms(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(f))
}
