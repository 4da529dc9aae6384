package policies

import (
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Clinical validation defaults.
const (
	DefaultClinicalConfidence = 0.95
	DefaultSubgroupCases      = 30
	DefaultConcurrency        = 8
	MaxConcurrency            = 256
	DefaultCaseTimeout        = 5 * time.Second
	DefaultPositiveLabel      = "positive"
	DefaultNegativeLabel      = "negative"
)

// ClinicalValidation runs a labelled golden data set through the mesh against a candidate
// version and decides on confidence bounds of its diagnostic performance.
type ClinicalValidation struct {
	Name string
	// Dataset is a path relative to the policy file, or an https URL, as written; see
	// DatasetLocation.
	Dataset string
	// DatasetSHA256 is the lowercase hex SHA-256 the data set must have, or "" for no pin.
	DatasetSHA256 string
	// Against is the version paired comparisons use.
	Against Comparator
	// Confidence is the two-sided confidence level in (0, 1) of every interval.
	Confidence float64
	// MinCases is the least number of labelled cases (>= 1); fewer is a failed run.
	MinCases uint32
	// MinPositiveCases is the least number of positive (diseased) cases; sensitivity is
	// computed on them.
	MinPositiveCases uint32
	// Subgroups are data-set columns; every criterion is also checked within each value of
	// each column that has at least MinSubgroupCases cases.
	Subgroups        []string
	MinSubgroupCases uint32
	Interval         IntervalMethod
	// PositiveLabel and NegativeLabel are the data set's label values of the positive
	// (diseased) and negative class, as the model answers them too (attribute labels =
	// [positive, negative]; default "positive" and "negative").
	PositiveLabel, NegativeLabel string
	// Concurrency is the number of cases in flight, 1 to MaxConcurrency.
	Concurrency uint32
	// Timeout bounds one case; a timed-out case counts as a wrong answer.
	Timeout time.Duration
	// Require lists the criteria; all must pass.
	Require []Criterion
	Range   hcl.Range
}

// DatasetIsURL reports whether Dataset is an https URL rather than a path.
func (c *ClinicalValidation) DatasetIsURL() bool {
	return strings.HasPrefix(c.Dataset, "https://")
}

// DatasetLocation resolves Dataset for the policy file at policyPath: a URL is returned as
// is, a path is joined to the policy file's directory.
func (c *ClinicalValidation) DatasetLocation(policyPath string) string {
	if c.DatasetIsURL() {
		return c.Dataset
	}
	return filepath.Join(filepath.Dir(policyPath), filepath.FromSlash(c.Dataset))
}

// Comparator names the version a validation's paired comparisons are made against.
type Comparator struct {
	Kind ComparatorKind
	// Version is set when Kind is AgainstVersion: MAJOR.MINOR.PATCH-PHASE.
	Version string
	Range   hcl.Range
}

// String returns the policy-file spelling: "current", "none" or the version.
func (c Comparator) String() string {
	if c.Kind == AgainstVersion {
		return c.Version
	}
	return c.Kind.String()
}

// ComparatorKind is the kind of a Comparator.
type ComparatorKind uint8

const (
	// AgainstCurrent compares with the version serving when the validation runs.
	AgainstCurrent ComparatorKind = iota + 1
	// AgainstNone makes no paired comparison; only bound criteria are allowed.
	AgainstNone
	// AgainstVersion compares with an explicit version.
	AgainstVersion
)

var comparatorKindNames = enumSpec[ComparatorKind]{kind: "ComparatorKind", names: []string{"", "current", "none", "version"}}

func (k ComparatorKind) String() string { return comparatorKindNames.name(k) }

// IntervalMethod is the confidence interval for a proportion.
type IntervalMethod uint8

const (
	IntervalWilson IntervalMethod = iota + 1
	IntervalClopperPearson
)

var intervalMethodNames = enumSpec[IntervalMethod]{kind: "IntervalMethod", names: []string{"", "wilson", "clopper_pearson"}}

func (m IntervalMethod) String() string { return intervalMethodNames.name(m) }

// isHTTPSURL reports whether s parses as an absolute https URL with a host.
func isHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}
