package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/llmrouter/llmrouter/internal/router"
)

// Default paths, laid out as the Python prototype's: prepare writes the
// training files there and train the model, so each stage finds the
// previous one's output without flags.
const (
	trainDefaultSFTPath = "./data/training/sft_train.jsonl"
	trainDefaultDPOPath = "./data/training/dpo_train.jsonl"
	routerDefaultModel  = "./router_checkpoints/router_final"
)

func runTrain(ctx context.Context, env *Env, args []string) error {
	cfg := router.DefaultTrainConfig()
	h := &cfg.Hyper
	sftEpochs, err := envInt(env, "SFT_EPOCHS", h.SFTEpochs)
	if err != nil {
		return err
	}
	dpoEpochs, err := envInt(env, "DPO_EPOCHS", h.DPOEpochs)
	if err != nil {
		return err
	}
	flags := newFlagSet(env, "train", "[flags]")
	flags.StringVar(&cfg.SFTPath, "sft-data-path", trainDefaultSFTPath, "SFT training file (JSONL, trainset.SFTRow)")
	flags.StringVar(&cfg.DPOPath, "dpo-data-path", trainDefaultDPOPath, "DPO preference file (JSONL, trainset.DPORow); empty to skip DPO")
	flags.IntVar(&h.SFTEpochs, "sft-epochs", sftEpochs, "SFT epochs (env SFT_EPOCHS)")
	flags.IntVar(&h.DPOEpochs, "dpo-epochs", dpoEpochs, "DPO epochs (env DPO_EPOCHS); 0 skips DPO")
	out := flags.String("output", routerDefaultModel, "model directory to write")
	flags.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (shuffling, validation split)")
	flags.Float64Var(&h.DPOBeta, "dpo-beta", h.DPOBeta, "DPO beta")
	flags.Float64Var(&h.L2, "l2", h.L2, "SFT L2 regularisation")
	flags.Float64Var(&h.LearningRate, "lr", h.LearningRate, "SFT AdaGrad learning rate")
	flags.Float64Var(&h.DPOLearningRate, "dpo-lr", h.DPOLearningRate, "DPO AdaGrad learning rate")
	flags.Float64Var(&h.DPOAnchor, "dpo-anchor", h.DPOAnchor, "weight of the SFT cross-entropy added to the DPO loss (keeps the policy probabilities calibrated; 0 is plain DPO)")
	flags.Float64Var(&h.ValidationFraction, "validation-fraction", h.ValidationFraction, "share of SFT rows held out to choose the score (0 disables)")
	flags.StringVar(&cfg.Kind, "router", cfg.Kind, "router kind: classifier, knn, random or multi (N-model; the default when the outcomes file lists more than two models)")
	flags.StringVar(&cfg.Kind, "kind", cfg.Kind, "alias of --router")
	flags.StringVar(&cfg.OutcomesPath, "outcomes-data-path", "", "per-model outcome rows (JSONL, trl.OutcomeRow) for --router multi (default: outcomes_train.jsonl beside --sft-data-path)")
	catalogPath := flags.String("config", "", "model catalogue whose prices cost the N-model router's candidates (default: built-in models.yaml)")
	flags.Float64Var(&cfg.TargetQuality, "target-quality", cfg.TargetQuality, "N-model router: initial threshold reaches this share of the best single model's held-out accuracy (recalibrate with 'llmrouter calibrate')")
	flags.StringVar(&cfg.ScoreKind, "score", "", "force a score kind (default: best validation APGR)")
	flags.IntVar(&cfg.Features.HashBits, "hash-bits", cfg.Features.HashBits, "hashed feature space is 2^bits")
	flags.Float64Var(&cfg.DefaultStrongShare, "strong-share", cfg.DefaultStrongShare, "initial threshold's strong share (recalibrate with 'llmrouter calibrate')")
	flags.StringVar(&cfg.CheapModel, "cheap-model", "", "cheap model name recorded in the model (default "+router.DefaultCheapModel+")")
	flags.StringVar(&cfg.StrongModel, "strong-model", "", "strong model name recorded in the model (default "+router.DefaultStrongModel+")")
	cascadeOn := flags.Bool("cascade", true, "also fit the cascade verifier when the SFT rows carry cheap answers (cheap_answer)")
	flags.Float64Var(&cfg.Cascade.EscalationShare, "cascade-share", 0, "cascade verifier's initial escalation share (0: the share that keeps 95% of strong-only accuracy; recalibrate with 'llmrouter calibrate --cascade-share')")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	cfg.Cascade.Off = !*cascadeOn
	if err := resolveTrainKind(env, flags, &cfg, *catalogPath); err != nil {
		return err
	}
	if err := checkTrainFlags(&cfg); err != nil {
		return err
	}
	if cfg.Kind != router.KindMulti && cfg.DPOPath == trainDefaultDPOPath && !trainFlagGiven(flags, "dpo-data-path") {
		if _, err := os.Stat(cfg.DPOPath); errors.Is(err, fs.ErrNotExist) {
			env.Log.Warn("no DPO data; training SFT only", "path", cfg.DPOPath)
			cfg.DPOPath = ""
		}
	}
	cfg.Log = env.Log
	start := time.Now()
	m, stages, err := router.Train(ctx, cfg)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	for _, s := range stages {
		fmt.Fprintf(env.Stdout, "%-11s %9s  %s\n", s.Name, s.Duration.Round(time.Millisecond), s.Detail)
	}
	if err := router.Save(*out, m); err != nil {
		return err
	}
	if m.Meta.Multi != nil {
		fmt.Fprintf(env.Stdout, "saved %s model to %s in %s\n", m.Meta.Kind, *out, time.Since(start).Round(time.Millisecond))
		printMultiSummary(env.Stdout, m)
		return nil
	}
	mt := m.Meta.Metrics
	fmt.Fprintf(env.Stdout, "saved %s model to %s in %s: score %s (%s), validation APGR %s, threshold %.4f (strong share %.2f)\n",
		m.Meta.Kind, *out, time.Since(start).Round(time.Millisecond), m.Meta.ScoreKind, mt.ScoreSelection,
		trainFmtAPGR(mt.ValidationAPGR, m.Meta.ScoreKind), m.Meta.Threshold, m.Meta.ThresholdStrongShare)
	if line := trainCalibrationLine(mt); line != "" {
		fmt.Fprintln(env.Stdout, line)
	}
	return nil
}

// checkTrainFlags refuses flag values outside their ranges before any
// data is read.
func checkTrainFlags(cfg *router.TrainConfig) error {
	switch {
	case !(cfg.Cascade.EscalationShare >= 0 && cfg.Cascade.EscalationShare <= 1):
		return fmt.Errorf("%w: --cascade-share %v outside [0, 1]", errUsage, cfg.Cascade.EscalationShare)
	case cfg.Kind != router.KindClassifier && cfg.Kind != router.KindKNN && cfg.Kind != router.KindRandom && cfg.Kind != router.KindMulti:
		return fmt.Errorf("%w: --router %q: want classifier, knn, random or multi", errUsage, cfg.Kind)
	case !(cfg.TargetQuality > 0 && cfg.TargetQuality <= 1):
		return fmt.Errorf("%w: --target-quality %v outside (0, 1]", errUsage, cfg.TargetQuality)
	case !(cfg.DefaultStrongShare >= 0 && cfg.DefaultStrongShare <= 1):
		return fmt.Errorf("%w: --strong-share %v outside [0, 1]", errUsage, cfg.DefaultStrongShare)
	}
	return nil
}

// trainCalibrationLine summarises the policy head's validation calibration,
// or returns "" when there was no validation slice (or no classifier).
// The ECE and mean top probability are set together.
func trainCalibrationLine(mt router.Metrics) string {
	sft, dpo := mt.ValidationECEPolicySFT, mt.ValidationECEPolicyDPO
	switch {
	case sft == nil:
		return ""
	case dpo == nil:
		return fmt.Sprintf("calibration: policy-head ECE %.3f, mean top probability %.3f (validation, %d rows)",
			*sft, *mt.ValidationMeanTopPolicySFT, mt.ValidationCalibrationExamples)
	}
	return fmt.Sprintf("calibration: policy-head ECE SFT %.3f, SFT+DPO %.3f; mean top probability %.3f, %.3f (validation, %d rows)",
		*sft, *dpo, *mt.ValidationMeanTopPolicySFT, *mt.ValidationMeanTopPolicyDPO, mt.ValidationCalibrationExamples)
}

func trainFlagGiven(flags *flag.FlagSet, name string) bool {
	given := false
	flags.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func trainFmtAPGR(m map[string]float64, kind string) string {
	if a, ok := m[kind]; ok {
		return fmt.Sprintf("%.4f", a)
	}
	return "n/a"
}
