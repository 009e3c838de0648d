package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/router"
)

// mmluModelDir trains the router on the recorded-MMLU fixture slice the
// router package tests with (400 SFT rows and their DPO pairs, every
// subject present) and saves it. A classifier's weights are sized by the
// feature hash and the topic head, not by the rows, so reloading it costs
// what reloading the model trained on all of recorded MMLU costs.
func mmluModelDir(b *testing.B) string {
	b.Helper()
	cfg := router.DefaultTrainConfig()
	cfg.SFTPath = filepath.Join("..", "router", "testdata", "sft_small.jsonl")
	cfg.DPOPath = filepath.Join("..", "router", "testdata", "dpo_small.jsonl")
	m, _, err := router.Train(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "router_final")
	if err := router.Save(dir, m); err != nil {
		b.Fatal(err)
	}
	b.Logf("model: kind %s, weights %d bytes, version %s", m.Meta.Kind, m.Meta.WeightsBytes, short(m.Meta.WeightsSHA256))
	return dir
}

// BenchmarkReload measures a reload (read and check the files, derive the
// gateway's state, swap) against router.Load alone, the floor it is built
// on, in the same run; "watch-poll" is what the watcher spends per poll.
func BenchmarkReload(b *testing.B) {
	dir := mmluModelDir(b)
	b.Run("router.Load", func(b *testing.B) {
		for b.Loop() {
			if _, err := router.Load(dir); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReloadRouter", func(b *testing.B) {
		srv := reloadBenchServer(b, dir)
		for b.Loop() {
			if err := srv.ReloadRouter(context.Background(), "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("watch-poll", func(b *testing.B) {
		for b.Loop() {
			_ = modelFingerprint(dir)
		}
	})
}

// reloadBenchServer serves the model at dir with its loader, as Open does.
func reloadBenchServer(b *testing.B, dir string) *Server {
	b.Helper()
	cfg, err := ParseConfig([]byte(baseYAML+"router:\n  model_path: "+dir+"\n"), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cat, _ := cfg.Catalogue()
	deps := Deps{Upstreams: &mapUpstreams{cat: cat}, Store: &nopStore{}, Logger: slog.New(slog.NewJSONHandler(discard{}, nil))}
	withReload(b, dir)(&deps)
	srv, err := New(cfg, deps)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}
