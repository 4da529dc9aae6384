package policies

import (
	"github.com/hashicorp/hcl/v2"
)

// Criterion is one element of a clinical validation's require list. Every criterion
// decides on a confidence bound, never on a point estimate.
//
//	sensitivity.lower >= 0.90      Kind BoundCriterion, Metric sensitivity, Bound lower, Op >=, Goal 0.90
//	ppv.upper <= 0.99              Kind BoundCriterion, Bound upper, Op <=
//	noninferior(sensitivity, 0.05) Kind NonInferiority: Tango paired CI lower bound of
//	                               candidate - comparator > -Margin
//	auc_noninferior(0.02)          Kind AUCNonInferiority, Metric auc: DeLong paired CI lower
//	                               bound of the AUC difference > -Margin
//	mcnemar_not_worse(0.05)        Kind McNemarNotWorse: one-sided McNemar test, candidate not
//	                               significantly worse at level Alpha
type Criterion struct {
	Kind   CriterionKind
	Metric Metric
	// Bound and Op are set for BoundCriterion: lower with >=, upper with <=.
	Bound BoundSide
	Op    ComparisonOp
	// Goal is the probability in (0, 1) a bound is compared with (BoundCriterion).
	Goal float64
	// Margin is the non-inferiority margin on the difference, in [0, 1) (NonInferiority,
	// AUCNonInferiority).
	Margin float64
	// Alpha is the one-sided significance level in (0, 1) (McNemarNotWorse).
	Alpha float64
	// Source is the criterion as written in the file.
	Source string
	Range  hcl.Range
}

// Paired reports whether the criterion compares with another version (and so needs a
// validation whose against is not "none").
func (c *Criterion) Paired() bool { return c.Kind != BoundCriterion }

// CriterionKind is the form of a criterion.
type CriterionKind uint8

const (
	BoundCriterion CriterionKind = iota + 1
	NonInferiority
	AUCNonInferiority
	McNemarNotWorse
)

var criterionKindNames = enumSpec[CriterionKind]{kind: "CriterionKind", names: []string{"",
	"bound", "noninferior", "auc_noninferior", "mcnemar_not_worse"}}

func (k CriterionKind) String() string { return criterionKindNames.name(k) }

// Metric is a diagnostic-performance metric of a binary classifier.
type Metric uint8

const (
	// MetricNone is the metric of criteria that compare whole answers (McNemar).
	MetricNone Metric = iota
	MetricSensitivity
	MetricSpecificity
	MetricPPV
	MetricNPV
	MetricAccuracy
	MetricAUC
)

var metricNames = enumSpec[Metric]{kind: "Metric", names: []string{"",
	"sensitivity", "specificity", "ppv", "npv", "accuracy", "auc"}}

func (m Metric) String() string {
	if m == MetricNone {
		return "none"
	}
	return metricNames.name(m)
}

// BoundSide is which end of a confidence interval a criterion reads.
type BoundSide uint8

const (
	LowerBound BoundSide = iota + 1
	UpperBound
)

var boundSideNames = enumSpec[BoundSide]{kind: "BoundSide", names: []string{"", "lower", "upper"}}

func (b BoundSide) String() string { return boundSideNames.name(b) }

// ComparisonOp is the comparison of a bound criterion.
type ComparisonOp uint8

const (
	OpAtLeast ComparisonOp = iota + 1 // >=
	OpAtMost                          // <=
)

var comparisonOpNames = enumSpec[ComparisonOp]{kind: "ComparisonOp", names: []string{"", ">=", "<="}}

func (o ComparisonOp) String() string { return comparisonOpNames.name(o) }
