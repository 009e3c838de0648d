package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llmrouter/llmrouter/internal/capture"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/router"
)

// Capture: every chat request that was answered (status 200) and has a
// routed text is appended to capture.path, whether it named "router…" or
// a model directly: a direct request's question is as good a training
// question as a routed one, and its row has no policy and no score. The
// row holds the routed text (what the router scored or would score), the
// gateway key's id and never a key; capture.Writer does the rest off the
// request path.

// openCapture starts the capture writer when router.yaml turns capture
// on, and returns the closer that flushes it (nil, nil when off).
func openCapture(cfg *Config, log *slog.Logger) (*capture.Writer, func() error, error) {
	if !cfg.Capture.On() {
		return nil, nil, nil
	}
	w, err := capture.New(cfg.Capture, log)
	if err != nil {
		return nil, nil, err
	}
	conv := cfg.Capture.Conversation
	if conv == "" {
		conv = capture.LastUser
	}
	log.Info("capturing answered chat requests", "path", cfg.Capture.Path,
		"conversation", conv, "redact_patterns", len(cfg.Capture.Redact))
	closeFn := func() error {
		// Open's closers run after serving has drained: no Add follows.
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Limits.ShutdownTimeout)
		defer cancel()
		return w.Close(ctx)
	}
	return w, closeFn, nil
}

// capture hands x's row to the writer; it never blocks.
func (s *Server) capture(x *exchange) {
	w := s.deps.Capture
	if w == nil || x.req == nil || x.status != http.StatusOK {
		return
	}
	query := x.query
	if query == "" && !x.routed {
		query = s.routedText(x)
	}
	if query == "" {
		return
	}
	r := capture.Row{
		ID: x.id, Time: x.start, Query: query, Model: x.model, Policy: x.policy, KeyID: x.keyID,
	}
	if x.rt != nil { // the model this request used, across reloads
		r.RouterVersion = x.rt.data
	}
	if x.scored {
		score := x.score
		r.Score = &score
	}
	if s.cfg.Capture.FullConversation() && w.Sampled(x.id) {
		r.Messages = captureMessages(x.req)
	}
	w.Add(r)
}

// trainingDataSHA is the sha256 of the data a trained router learnt from
// (model.json's training_data), which names the oracle rows behind it.
func trainingDataSHA(r router.Router) string {
	m, ok := r.(*router.Model)
	if !ok {
		return ""
	}
	if d := m.Meta.Data; d.SFTSHA256 != "" {
		return d.SFTSHA256
	}
	return m.Meta.Data.OutcomesSHA256
}

// captureMessages is the conversation's text; media parts become
// placeholders, so no image, audio or file bytes are stored.
func captureMessages(req *openaiapi.ChatRequest) []capture.Message {
	out := make([]capture.Message, len(req.Messages))
	for i := range req.Messages {
		m := &req.Messages[i]
		out[i] = capture.Message{Role: m.Role, Content: m.Text()}
		if m.Parts == nil {
			continue
		}
		var sb strings.Builder
		for j, p := range m.Parts {
			if j > 0 {
				sb.WriteByte('\n')
			}
			switch {
			case p.Type == "text":
				sb.WriteString(p.Text)
			case p.Type == "image_url":
				sb.WriteString("[image]")
			case p.Type == "input_audio":
				sb.WriteString("[audio]")
			default:
				sb.WriteString("[" + p.Type + "]")
			}
		}
		out[i].Content = sb.String()
	}
	return out
}

// registerCaptureMetrics exports the capture writer's counters.
func (s *Server) registerCaptureMetrics() {
	w := s.deps.Capture
	if w == nil {
		return
	}
	rows := func(outcome string, get func(capture.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "llmrouter_capture_rows_total",
			Help:        "Captured requests, by outcome: written, dropped (queue full), sampled_out (capture.sample_rate) or failed (lost to a write error).",
			ConstLabels: prometheus.Labels{"outcome": outcome},
		}, func() float64 { return float64(get(w.Stats())) })
	}
	s.metrics.reg.MustRegister(
		rows("written", func(st capture.Stats) uint64 { return st.Written }),
		rows("dropped", func(st capture.Stats) uint64 { return st.Dropped }),
		rows("sampled_out", func(st capture.Stats) uint64 { return st.SampledOut }),
		rows("failed", func(st capture.Stats) uint64 { return st.Failed }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "llmrouter_capture_write_errors_total",
			Help: "Failed attempts to open, rotate or write the capture file (each retried with the next batch).",
		}, func() float64 { return float64(w.Stats().WriteErrors) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "llmrouter_capture_rotations_total",
			Help: "Capture files rotated by size (capture.max_size_mb).",
		}, func() float64 { return float64(w.Stats().Rotations) }),
	)
}
