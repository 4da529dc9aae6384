package policies

import (
	"github.com/hashicorp/hcl/v2"
)

// Judge defaults.
const (
	DefaultJudgeAlpha            = 0.05
	DefaultJudgeConfidence       = 0.95
	DefaultMannWhitneyConfidence = 0.98
)

// Judge is a statistical comparison of the candidate version with the baseline version,
// run over a canary step's bake when the step names it in analysis.
type Judge struct {
	Name   string
	Method JudgeMethod
	// Events and Trials are count queries (e.g. errors and requests over ${interval}) for
	// the rate methods: farrington_manning, fisher, msprt and sprt. Zero otherwise.
	Events QueryTemplate
	Trials QueryTemplate
	// Samples is a range query giving one value per step, for mann_whitney only.
	Samples   QueryTemplate
	Direction Direction
	// Margin: for rate methods the non-inferiority margin on the difference of rates
	// (candidate - baseline), a probability in [0, 1); for mann_whitney the effect-size floor
	// relative to the baseline median (0.1 = a 10 % shift), >= 0. 0 by default.
	Margin float64
	// Alpha is the significance level in (0, 1); default 0.05.
	Alpha float64
	// Confidence is the level in (0, 1) of the confidence intervals decisions are made on;
	// default 0.95, 0.98 for mann_whitney.
	Confidence float64
	// P0, P1 and Beta are the SPRT's null rate, alternative rate and type II error, each in
	// (0, 1); set for sprt only.
	P0, P1, Beta float64
	// MinSamples is the least per-arm count (trials, or samples for mann_whitney) before the
	// judge may decide; below it the result is inconclusive.
	MinSamples uint64
	// Critical makes a Fail of this judge fail the whole analysis at once.
	Critical bool
	Range    hcl.Range
}

// JudgeMethod is the statistical test of a judge.
type JudgeMethod uint8

const (
	// MethodFarringtonManning: score test for a difference of two rates with a margin.
	MethodFarringtonManning JudgeMethod = iota + 1
	// MethodFisher: Fisher's exact test on the 2x2 table of events, for small counts.
	MethodFisher
	// MethodMannWhitney: rank test with a Hodges-Lehmann shift interval on samples.
	MethodMannWhitney
	// MethodMSPRT: mixture sequential probability ratio test with always-valid p-values.
	MethodMSPRT
	// MethodSPRT: Wald's sequential test of the candidate's event rate, P0 vs P1.
	MethodSPRT
)

var judgeMethodNames = enumSpec[JudgeMethod]{kind: "JudgeMethod", names: []string{"",
	"farrington_manning", "fisher", "mann_whitney", "msprt", "sprt"}}

func (m JudgeMethod) String() string { return judgeMethodNames.name(m) }

// UsesRates reports whether the method reads Events and Trials (all but mann_whitney).
func (m JudgeMethod) UsesRates() bool { return m != MethodMannWhitney }

// Direction is which change of a metric is bad.
type Direction uint8

const (
	// DirectionIncrease: higher is worse (error rates, latency).
	DirectionIncrease Direction = iota + 1
	// DirectionDecrease: lower is worse (accuracy, throughput).
	DirectionDecrease
	// DirectionEither: any change is bad.
	DirectionEither
)

var directionNames = enumSpec[Direction]{kind: "Direction", names: []string{"", "increase", "decrease", "either"}}

func (d Direction) String() string { return directionNames.name(d) }
