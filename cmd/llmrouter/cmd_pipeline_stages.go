package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/report"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset"
)

// pipelinePaths are the files the stages exchange.
type pipelinePaths struct {
	bench, train, test, oracleDir, oracle, summary, trainDir, sft, dpo, outcomes, modelMeta, modelWeights string
}

func pathsFor(o pipelineOptions) pipelinePaths {
	d := o.dataDir
	p := pipelinePaths{
		bench:     filepath.Join(d, "benchmarks", o.benchmark+".jsonl"),
		train:     filepath.Join(d, "splits", o.benchmark+"_train.jsonl"),
		test:      filepath.Join(d, "splits", o.benchmark+"_test.jsonl"),
		oracleDir: filepath.Join(d, "generated"),
		trainDir:  filepath.Join(d, "training"),
	}
	p.oracle = filepath.Join(p.oracleDir, "oracle_dataset.jsonl")
	p.summary = filepath.Join(p.oracleDir, "oracle_summary.json")
	p.sft = filepath.Join(p.trainDir, "sft_train.jsonl")
	p.dpo = filepath.Join(p.trainDir, "dpo_train.jsonl")
	p.outcomes = filepath.Join(p.trainDir, trainset.OutcomesFile)
	p.modelMeta = filepath.Join(o.modelDir, router.MetaFile)
	p.modelWeights = filepath.Join(o.modelDir, router.WeightsFile)
	return p
}

// pipelineStages lists download → split → oracle (train split only) →
// prepare → train → calibrate → eval (test split only).
func pipelineStages(o pipelineOptions, roles catalog.Roles) []stage {
	p := pathsFor(o)
	itoa := strconv.Itoa
	ftoa := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	common := []string{}
	if o.config != "" {
		common = append(common, "--config", o.config)
	}
	if o.concurrency > 0 {
		common = append(common, "--concurrency", itoa(o.concurrency))
	}
	download := []string{"--benchmark", o.benchmark, "--output-dir", filepath.Dir(p.bench)}
	if o.offline {
		download = append(download, "--offline")
	}
	results := []string{filepath.Join(o.resultsDir, report.JSONFile), filepath.Join(o.resultsDir, report.HTMLFile), filepath.Join(o.resultsDir, report.PNGFile)}
	oracleArgs, trainArgs, trainInputs := oracleStageArgs(o), []string{}, []string{p.sft, p.dpo}
	calibrateArgs := []string{"--strong-share", ftoa(o.strongShare)}
	if o.kind == router.KindMulti {
		// The N-model router learns from the outcomes file, costs its
		// candidates at the catalogue's prices and is calibrated by its
		// own knob.
		trainInputs = append(trainInputs, p.outcomes)
		if o.config != "" {
			trainArgs = []string{"--config", o.config}
		}
		calibrateArgs = []string{"--target-quality", "0.95"}
	}
	stages := []stage{
		{
			name: "download", run: runDownload,
			args:    download,
			outputs: []string{p.bench}, checked: []string{p.bench},
			figure: func() string { return fmt.Sprintf("%d questions", countLines(p.bench)) },
		},
		{
			name: "split", run: runSplit,
			args:   []string{"--input-file", p.bench, "--output-dir", filepath.Dir(p.train), "--train-ratio", ftoa(o.trainRatio), "--seed", strconv.FormatUint(o.seed, 10)},
			inputs: []string{p.bench}, outputs: []string{p.train, p.test}, checked: []string{p.train, p.test},
			figure: func() string { return fmt.Sprintf("%d train / %d test", countLines(p.train), countLines(p.test)) },
		},
		{
			name: "oracle", run: runOracle,
			args:   append(append([]string{"--input-file", p.train, "--output-dir", p.oracleDir, "--limit", itoa(o.benchLimit)}, common...), oracleArgs...),
			inputs: []string{p.train}, outputs: []string{p.oracle, p.summary}, checked: []string{p.oracle},
			figure: func() string { return fmt.Sprintf("%d graded train questions", countLines(p.oracle)) },
		},
		{
			name: "prepare", run: runPrepare,
			args:   []string{"--oracle-file", p.oracle, "--output-dir", p.trainDir},
			inputs: []string{p.oracle}, outputs: []string{p.sft, p.dpo, p.outcomes}, checked: []string{p.sft, p.dpo},
			figure: func() string { return fmt.Sprintf("%d SFT rows, %d DPO pairs", countLines(p.sft), countLines(p.dpo)) },
		},
		{
			name: "train", run: runTrain,
			args: append([]string{"--sft-data-path", p.sft, "--dpo-data-path", p.dpo, "--sft-epochs", itoa(o.sftEpochs),
				"--dpo-epochs", itoa(o.dpoEpochs), "--output", o.modelDir, "--kind", o.kind, "--seed", strconv.FormatUint(o.seed, 10),
				"--cheap-model", roles.Cheap, "--strong-model", roles.Strong}, trainArgs...),
			// calibrate rewrites model.json, so only the weights are checked.
			inputs: trainInputs, outputs: []string{p.modelMeta, p.modelWeights}, checked: []string{p.modelWeights},
			figure: func() string { return trainFigure(p.modelMeta) },
		},
		{
			name: "calibrate", run: runCalibrate,
			args:   append([]string{"--model-path", o.modelDir}, calibrateArgs...),
			inputs: []string{p.modelWeights}, outputs: []string{p.modelMeta}, checked: []string{p.modelMeta},
			figure: func() string { return calibrateFigure(p.modelMeta) },
		},
		{
			name: "eval", run: runEval,
			args: append([]string{"--model-path", o.modelDir, "--test-file", p.test, "--output-dir", o.resultsDir,
				"--routers", o.routers, "--limit", itoa(o.evalLimit), "--sft-data-path", p.sft}, append(common, judgeArgs(o)...)...),
			// The whole model directory: the cascade files, when there are
			// any, change what eval reports as much as the router's do.
			inputs: []string{p.test, o.modelDir, p.sft}, outputs: results, checked: results[:1],
			figure: func() string { return evalFigure(results[0]) },
		},
	}
	if o.inputFile != "" {
		stages[0] = importStage(o, p)
	}
	return stages
}

// oracleStageArgs are the oracle's own flags in the pipeline: the answering
// models, the judge and the batch APIs; none of them by default, so a
// default run's stamps stay fresh.
func oracleStageArgs(o pipelineOptions) []string {
	var a []string
	if o.models != "" {
		a = []string{"--models", o.models}
	}
	a = append(a, judgeArgs(o)...)
	if o.batch {
		a = append(a, "--batch")
	}
	return a
}

// countLines counts non-blank lines; -1 if the file cannot be read.
func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	return n
}

func readMeta(path string) (router.Meta, error) {
	var m router.Meta
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

func trainFigure(metaPath string) string {
	m, err := readMeta(metaPath)
	if err != nil {
		return "model.json unreadable"
	}
	s := fmt.Sprintf("%s router, score %s", m.Kind, m.ScoreKind)
	if v, ok := m.Metrics.ValidationAPGR[m.ScoreKind]; ok {
		s += fmt.Sprintf(", validation APGR %.3f", v)
	}
	return s
}

func calibrateFigure(metaPath string) string {
	m, err := readMeta(metaPath)
	if err != nil {
		return "model.json unreadable"
	}
	if m.Multi != nil {
		return fmt.Sprintf("knob t %.3f for %s (%.0f%% beyond the cheapest model)", m.Threshold, m.Multi.Target, m.ThresholdStrongShare*100)
	}
	return fmt.Sprintf("threshold %.4f for strong share %.0f%%", m.Threshold, m.ThresholdStrongShare*100)
}

func evalFigure(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "comparison.json unreadable"
	}
	defer f.Close()
	cmp, err := report.ReadJSON(f)
	if err == nil && len(cmp.Routers) == 0 && cmp.Multi != nil {
		return multiFigure(cmp.Multi)
	}
	if err != nil || len(cmp.Routers) == 0 {
		return "comparison.json unreadable"
	}
	r := cmp.Routers[0]
	fig := fmt.Sprintf("%s: APGR %s, strong share @95%% %s, cost savings %s", r.Name, fnum(r.APGR), fpct(r.StrongShareAt95), fpct(r.CostSavings))
	if c := cascadeFigure(cmp.Cascade); c != "" {
		fig += "; " + c
	}
	if d := cmp.Drift; d != nil && d.Warning {
		fig += fmt.Sprintf("; warning: %s of test queries out of distribution", fpct(d.OutOfDistributionShare))
	}
	return fig
}

// pipelineRoles are the benchmark's default cheap and strong models from the
// catalogue, recorded in the trained model so route and serve use them.
func pipelineRoles(o pipelineOptions) (catalog.Roles, error) {
	cat, err := catalog.LoadCatalogue(o.config)
	if err != nil {
		return catalog.Roles{}, err
	}
	family := "recorded"
	if o.benchmark == "simpleqa" || o.inputFile != "" {
		family = "simpleqa"
	}
	r, ok := cat.Defaults[family]
	if !ok || r.Cheap == "" || r.Strong == "" {
		return r, fmt.Errorf("model catalogue has no defaults.%s cheap and strong models", family)
	}
	return r, nil
}
