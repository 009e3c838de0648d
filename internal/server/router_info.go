package server

import (
	"time"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/router"
)

// RouterInfo is GET /v1/usage/router: the loaded router model and how it
// is calibrated, so a change in routing share can be read against a
// change of model or threshold.
type RouterInfo struct {
	Loaded    bool   `json:"loaded"`
	ModelPath string `json:"model_path,omitempty"`
	Kind      string `json:"kind,omitempty"`
	// Version identifies the weights: the first 12 hex digits of their
	// SHA-256 (model.json's weights_sha256).
	Version       string `json:"version,omitempty"`
	FormatVersion int    `json:"format_version,omitempty"`
	// LoadedAt is when this model was loaded: at startup, or by the last
	// successful reload.
	LoadedAt *time.Time `json:"loaded_at,omitempty"`
	// Threshold is the one the gateway applies: router.threshold, else
	// the model's calibrated one.
	Threshold       *float64 `json:"threshold,omitempty"`
	ThresholdSource string   `json:"threshold_source,omitempty"`
	// StrongShare is the share of queries the calibrated threshold sends
	// to the strong model, on the calibration data.
	StrongShare  *float64     `json:"strong_share,omitempty"`
	TrainingRows int          `json:"training_rows,omitempty"`
	CheapModel   string       `json:"cheap_model"`
	StrongModel  string       `json:"strong_model"`
	Cascade      *CascadeInfo `json:"cascade,omitempty"`
}

// CascadeInfo is the cascade verifier's calibration.
type CascadeInfo struct {
	Version         string   `json:"version,omitempty"`
	Threshold       float64  `json:"threshold"`
	ThresholdSource string   `json:"threshold_source,omitempty"`
	EscalationShare *float64 `json:"escalation_share,omitempty"`
	SkipThreshold   *float64 `json:"skip_threshold,omitempty"`
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func (s *Server) routerInfo() RouterInfo {
	rt := s.rt.Load()
	info := RouterInfo{CheapModel: rt.cascade.cheap, StrongModel: rt.cascade.strong}
	r := rt.router
	if r == nil {
		return info
	}
	info.Loaded, info.ModelPath, info.Kind, info.Version = true, s.cfg.Router.ModelPath, r.Name(), rt.version
	loaded := rt.loadedAt.UTC()
	info.LoadedAt = &loaded
	if rt.hasThresh {
		t := rt.threshold
		info.Threshold = &t
		info.ThresholdSource = "calibrated into the model"
		if s.cfg.Router.Threshold != nil {
			info.ThresholdSource = "router.threshold in the config"
		}
	}
	if m, ok := r.(*router.Model); ok {
		info.FormatVersion, info.TrainingRows = m.Meta.FormatVersion, m.Meta.Data.SFTRows
		if src := m.Meta.ThresholdSource; src != "" && s.cfg.Router.Threshold == nil {
			info.ThresholdSource = src
		}
		if share := m.Meta.ThresholdStrongShare; share > 0 && s.cfg.Router.Threshold == nil {
			info.StrongShare = &share
		}
	}
	if v := rt.cascade.v; v != nil {
		c := &CascadeInfo{Threshold: rt.cascade.threshold, ThresholdSource: "calibrated into the model"}
		if s.cfg.Router.CascadeThreshold != nil {
			c.ThresholdSource = "router.cascade_threshold in the config"
		}
		if skip, ok := v.SkipThreshold(); ok {
			c.SkipThreshold = &skip
		}
		if cv, ok := v.(*cascade.Verifier); ok {
			c.Version = short(cv.Meta.WeightsSHA256)
			if s.cfg.Router.CascadeThreshold == nil {
				share := cv.Meta.ThresholdShare
				c.EscalationShare = &share
				if cv.Meta.ThresholdSource != "" {
					c.ThresholdSource = cv.Meta.ThresholdSource
				}
			}
		}
		info.Cascade = c
	}
	return info
}
