package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/oracle"
)

// --judge values: how answers become labels.
const (
	judgeModeGold      = "gold"
	judgeModePairwise  = oracle.LabelPairwise
	judgeModeReference = oracle.LabelReference
)

// labeler is what the oracle needs to label rows in one --judge mode.
type labeler struct {
	label     string
	judge     judge.Judge
	pairwise  oracle.PairJudge
	reference oracle.ReferenceJudge
	// name keys the resume journal, so a resume with another --judge or
	// judge model is refused.
	name   string
	matrix oracle.Matrix
}

// checkJudgeFlag checks that a --judge value names a mode.
func checkJudgeFlag(mode string) error {
	switch mode {
	case judgeModeGold, judgeModePairwise, judgeModeReference:
		return nil
	}
	return fmt.Errorf("%w: --judge %q: want gold, pairwise or reference", errUsage, mode)
}

// checkJudgeMode validates --judge against the items: captured traffic has
// no gold answer to grade against.
func checkJudgeMode(mode string, items []dataset.Item) error {
	if err := checkJudgeFlag(mode); err != nil {
		return err
	}
	if mode == judgeModeGold && hasBenchmark(items, dataset.BenchmarkCaptured) {
		return fmt.Errorf("%w: the input holds captured traffic, which has no gold answers: pass --judge pairwise (compare the two answers) or --judge reference (grade the cheap answer against the strong one)", errUsage)
	}
	return nil
}

// judgeRoleDefault fills the judge of a no-gold mode: the strong model
// unless --judge-model named one, since comparing answers is at least as
// hard as writing them.
func judgeRoleDefault(mode, flag string, roles catalog.Roles) (catalog.Roles, error) {
	if mode == judgeModeGold {
		return roles, nil
	}
	if flag == "" {
		roles.Judge = roles.Strong
	}
	if roles.Judge == judgeRule {
		return roles, fmt.Errorf("%w: --judge %s needs an LLM judge; --judge-model rule only grades against gold answers", errUsage, mode)
	}
	return roles, nil
}

// buildLabeler returns the judge(s), journal name and matrix for mode. A
// --matrix file overrides the mode's built-in matrix.
func buildLabeler(reg modelRegistry, mode, judgeModel, matrixPath string, items []dataset.Item) (labeler, error) {
	l := labeler{name: judgeModel}
	var err error
	if matrixPath != "" {
		if l.matrix, err = oracle.LoadMatrix(matrixPath); err != nil {
			return l, err
		}
	}
	if mode == judgeModeGold {
		if matrixPath == "" {
			l.matrix = oracle.DefaultMatrix()
		}
		l.judge, err = buildJudge(reg, judgeModel, items)
		return l, err
	}
	l.label = mode
	if matrixPath == "" {
		l.matrix = oracle.DefaultMatrixFor(mode)
	}
	// Every judge call goes through the registry's provider, as answers
	// do, so whatever wraps providers (batching, retries) wraps both.
	p, m, err := reg.Get(judgeModel)
	if err != nil {
		return l, fmt.Errorf("--judge-model: %w", err)
	}
	l.name = mode + ":" + judgeModel
	if mode == judgeModePairwise {
		l.pairwise = judge.NewPairwise(p, m)
	} else {
		l.reference = judge.NewReference(judge.NewLLM(p, m))
	}
	return l, nil
}

// apply sets the labelling fields of an oracle config.
func (l labeler) apply(cfg *oracle.Config) {
	cfg.Label, cfg.Judge, cfg.Pairwise, cfg.Reference = l.label, l.judge, l.pairwise, l.reference
	cfg.JudgeName, cfg.Matrix = l.name, l.matrix
}

// printLabelSummary says how rows without gold answers were labelled, so
// nobody reads the accuracies above as graded against gold.
func printLabelSummary(w io.Writer, s *oracle.Summary) {
	switch s.Label {
	case oracle.LabelPairwise:
		o := s.PairwiseOutcomes
		fmt.Fprintf(w, "  labels: pairwise judge, both orders (accuracy = judged good); tie %d, strong better %d, cheap better %d, both poor %d\n",
			o[judge.OutcomeTie], o[judge.OutcomeStrongBetter], o[judge.OutcomeCheapBetter], o[judge.OutcomeBothPoor])
	case oracle.LabelReference:
		fmt.Fprintln(w, "  labels: cheap answer graded against the strong answer as reference (strong CORRECT by construction)")
	}
}

// judgeDerivedNote explains accuracies computed from judge labels rather
// than gold answers; judge names "pairwise:<model>" and
// "reference:<model>" mark them.
func judgeDerivedNote(judgeName string) string {
	mode, model, ok := strings.Cut(judgeName, ":")
	switch {
	case !ok:
		return ""
	case mode == judgeModePairwise:
		return fmt.Sprintf("labels are judge-derived, not gold: %s compared the two answers in both orders; accuracy = share of answers judged good (a tie counts both good)", model)
	case mode == judgeModeReference:
		return fmt.Sprintf("labels are judge-derived, not gold: %s graded the cheap answer against the strong answer, which counts as correct by construction", model)
	}
	return ""
}
