package clinical

import "time"

// Result is the evidence record of one validation run. It encodes to JSON without loss
// of meaning: undefined statistics are null (see Float), enums are their names.
type Result struct {
	// Validation is the clinical_validation block's name.
	Validation string  `json:"validation"`
	Verdict    Verdict `json:"verdict"`
	// Reasons explain the verdict, most important first: why the measurement cannot be
	// trusted, which criteria failed, what was inconclusive. PASSED has one reason.
	Reasons []string       `json:"reasons"`
	Dataset DatasetSummary `json:"dataset"`
	// Settings are the decision settings the run used.
	Settings Settings `json:"settings"`
	// CriteriaText is the canonical text of the criteria and decision settings
	// (CriteriaText), and CriteriaHash "sha256:<hex>" of it: two runs with equal hashes
	// judged the same criteria the same way.
	CriteriaText string `json:"criteria_text"`
	CriteriaHash string `json:"criteria_hash"`
	// PolicyHash is the hash of the policy the spec came from, as given in Config.
	PolicyHash string `json:"policy_hash,omitempty"`
	// Candidate is the version under validation; Comparator the version it is compared
	// with, null without paired comparison.
	Candidate  TargetResult  `json:"candidate"`
	Comparator *TargetResult `json:"comparator"`
	// Paired are the paired statistics over all cases; null without a comparator.
	Paired *PairedStats `json:"paired"`
	// Minimums are the sample-size minimums and whether they were met.
	Minimums []MinimumResult `json:"minimums"`
	// Criteria are the spec's criteria judged on all cases, in spec order.
	Criteria []CriterionResult `json:"criteria"`
	// Subgroups are the results per subgroup column and value, columns in spec order,
	// values sorted.
	Subgroups []SubgroupResult `json:"subgroups"`
	// Timing is filled by Run; Evaluate leaves it zero.
	Timing Timing `json:"timing"`
}

// DatasetSummary identifies the data set the run used.
type DatasetSummary struct {
	Name string `json:"name"`
	// SHA256 is the hex SHA-256 of the data set's bytes; PinnedSHA256 the spec's
	// dataset_sha256 ("" when the spec pins none).
	SHA256       string `json:"sha256"`
	PinnedSHA256 string `json:"pinned_sha256,omitempty"`
	Cases        int    `json:"cases"`
	Positives    int    `json:"positives"`
	Negatives    int    `json:"negatives"`
	// PositiveLabel and NegativeLabel name the classes.
	PositiveLabel string `json:"positive_label"`
	NegativeLabel string `json:"negative_label"`
}

// Settings are the spec's decision settings, copied into the evidence.
type Settings struct {
	// Confidence is the two-sided level of every interval.
	Confidence float64 `json:"confidence"`
	// Interval is the method for proportions: "wilson" or "clopper_pearson".
	Interval         string   `json:"interval"`
	MinCases         uint32   `json:"min_cases"`
	MinPositiveCases uint32   `json:"min_positive_cases"`
	Subgroups        []string `json:"subgroups"`
	MinSubgroupCases uint32   `json:"min_subgroup_cases"`
	// Against is the spec's comparator: "current", "none" or a version.
	Against string `json:"against"`
	// Concurrency and Timeout (a Go duration) are how the cases were sent.
	Concurrency uint32 `json:"concurrency"`
	Timeout     string `json:"timeout"`
	// MaxFailureFraction is the share of failed calls per target above which the run is
	// INCONCLUSIVE.
	MaxFailureFraction float64 `json:"max_failure_fraction"`
}

// TargetResult is what one version did with the data set.
type TargetResult struct {
	Version string `json:"version"`
	// PinnedBy says how requests were pinned to Version.
	PinnedBy string  `json:"pinned_by"`
	Calls    Calls   `json:"calls"`
	Metrics  Metrics `json:"metrics"`
}

// Calls counts what happened to one target's calls.
type Calls struct {
	// Total is the number of calls, one per case.
	Total int `json:"total"`
	// Answered counts calls answered with a readable prediction by the pinned version.
	Answered int `json:"answered"`
	// Failed counts failed calls (errors, timeouts, unreadable responses); Timeouts those
	// that ran out of time; FailuresByCode counts them by gRPC code name or
	// InvalidResponse.
	Failed         int            `json:"failed"`
	Timeouts       int            `json:"timeouts"`
	FailuresByCode map[string]int `json:"failures_by_code"`
	// FailedFraction is Failed/Total.
	FailedFraction Float `json:"failed_fraction"`
	// WrongVersion counts calls answered (or failed) by a version other than the pinned
	// one, or answered without naming a version; WrongVersions lists them by version
	// ("" for none named).
	WrongVersion  int            `json:"wrong_version"`
	WrongVersions []VersionCount `json:"wrong_versions"`
}

// VersionCount is how many calls one version handled.
type VersionCount struct {
	// Version is the version named by the server, "" when none was named.
	Version string `json:"version"`
	Cases   int    `json:"cases"`
}

// Metrics is one version's diagnostic performance on a set of cases. Failed calls and
// answers by another version count as wrong answers (see the package documentation).
type Metrics struct {
	Cases     int       `json:"cases"`
	Positives int       `json:"positives"`
	Negatives int       `json:"negatives"`
	Confusion Confusion `json:"confusion"`
	// Sensitivity is TP/(TP+FN) on positive cases; Specificity TN/(TN+FP) on negative
	// cases; PPV TP/(TP+FP); NPV TN/(TN+FN); Accuracy (TP+TN)/Cases.
	Sensitivity Proportion `json:"sensitivity"`
	Specificity Proportion `json:"specificity"`
	PPV         Proportion `json:"ppv"`
	NPV         Proportion `json:"npv"`
	Accuracy    Proportion `json:"accuracy"`
	AUC         AUC        `json:"auc"`
}

// Confusion is a confusion matrix; positives are TP+FN, negatives TN+FP.
type Confusion struct {
	TP int `json:"tp"`
	FN int `json:"fn"`
	TN int `json:"tn"`
	FP int `json:"fp"`
}

// Proportion is a proportion with its two-sided confidence interval.
type Proportion struct {
	Successes int `json:"successes"`
	Trials    int `json:"trials"`
	// Estimate is Successes/Trials; Lower and Upper the interval's bounds. All null when
	// Trials is 0.
	Estimate Float   `json:"estimate"`
	Lower    Float   `json:"lower"`
	Upper    Float   `json:"upper"`
	Level    float64 `json:"level"`
	// Method is "wilson" or "clopper_pearson".
	Method string `json:"method"`
	// Note says why the interval is undefined, when it is.
	Note string `json:"note,omitempty"`
}

// AUC is the area under the empirical ROC curve of the probabilities with DeLong's
// interval.
type AUC struct {
	Estimate Float   `json:"estimate"`
	Lower    Float   `json:"lower"`
	Upper    Float   `json:"upper"`
	StdErr   Float   `json:"std_err"`
	Level    float64 `json:"level"`
	// Method is "delong".
	Method    string `json:"method"`
	Positives int    `json:"positives"`
	Negatives int    `json:"negatives"`
	// ImputedScores counts cases without a probability from the pinned version, scored
	// as ranking last (for the comparator in paired statistics: first).
	ImputedScores int `json:"imputed_scores"`
	// Note says why a value is undefined, when one is.
	Note string `json:"note,omitempty"`
}

// PairedStats compare the candidate with the comparator on the same cases.
type PairedStats struct {
	// Comparator is the comparator's version.
	Comparator string `json:"comparator"`
	// Endpoints are the paired differences of sensitivity (positive cases), specificity
	// (negative cases) and accuracy (all cases), in that order.
	Endpoints []PairedEndpoint `json:"endpoints"`
	McNemar   McNemarStats     `json:"mcnemar"`
	// AUCDifference is DeLong's paired comparison of the two AUCs.
	AUCDifference AUCDifference `json:"auc_difference"`
	// ComparatorImputed counts cases the comparator did not answer, counted as answered
	// correctly (ranked best) in these statistics.
	ComparatorImputed int `json:"comparator_imputed"`
}

// PairedEndpoint is a paired difference of proportions correct, candidate minus
// comparator, with Tango's score interval.
type PairedEndpoint struct {
	// Metric is "sensitivity", "specificity" or "accuracy".
	Metric string `json:"metric"`
	// Cases is the number of cases the endpoint is computed on (N).
	Cases int `json:"cases"`
	// BothRight, BothWrong; ComparatorOnlyRight is McNemar's b, CandidateOnlyRight its c.
	BothRight           int `json:"both_right"`
	ComparatorOnlyRight int `json:"comparator_only_right"`
	CandidateOnlyRight  int `json:"candidate_only_right"`
	BothWrong           int `json:"both_wrong"`
	// Difference is (c-b)/N; Lower and Upper Tango's interval. Null when N is 0.
	Difference Float   `json:"difference"`
	Lower      Float   `json:"lower"`
	Upper      Float   `json:"upper"`
	Level      float64 `json:"level"`
	// Method is "tango".
	Method string `json:"method"`
	Note   string `json:"note,omitempty"`
}

// McNemarStats is McNemar's test on all cases of the scope, by the rule of
// stats.McNemarChoose: mid-p when b+c < 25, otherwise the asymptotic z test.
type McNemarStats struct {
	// B counts cases the comparator got right and the candidate wrong; C the reverse.
	B int `json:"b"`
	C int `json:"c"`
	// Method is "mid-p" or "asymptotic"; "" when b+c = 0.
	Method string `json:"method"`
	// Statistic is z for the asymptotic test and min(b, c) for mid-p.
	Statistic Float `json:"statistic"`
	// PValue is two-sided; PValueCandidateWorse one-sided for "the candidate is wrong
	// more often". Null when b+c = 0.
	PValue               Float  `json:"p_value"`
	PValueCandidateWorse Float  `json:"p_value_candidate_worse"`
	Note                 string `json:"note,omitempty"`
}

// AUCDifference is DeLong's comparison of the candidate's and the comparator's AUC on
// the same cases.
type AUCDifference struct {
	Candidate  Float `json:"candidate"`
	Comparator Float `json:"comparator"`
	// Difference is candidate minus comparator; Lower and Upper the two-sided interval
	// at Level; Z and PValue (two-sided) the test of no difference.
	Difference Float   `json:"difference"`
	Lower      Float   `json:"lower"`
	Upper      Float   `json:"upper"`
	Z          Float   `json:"z"`
	PValue     Float   `json:"p_value"`
	Level      float64 `json:"level"`
	// Method is "delong".
	Method string `json:"method"`
	Note   string `json:"note,omitempty"`
}

// CriterionResult is the judgement of one criterion in one scope (all cases or one
// subgroup).
type CriterionResult struct {
	// Source is the criterion as written in the policy, Kind its form ("bound",
	// "noninferior", "auc_noninferior", "mcnemar_not_worse") and Metric what it bounds
	// ("none" for McNemar).
	Source  string  `json:"source"`
	Kind    string  `json:"kind"`
	Metric  string  `json:"metric"`
	Outcome Outcome `json:"outcome"`
	// Reason states the numbers that decided the outcome.
	Reason string `json:"reason"`
	// Bound is "lower" or "upper" for bound criteria, "" otherwise; Goal, Margin and Alpha
	// are the criterion's parameters (null when the form has none).
	Bound  string `json:"bound,omitempty"`
	Goal   Float  `json:"goal"`
	Margin Float  `json:"margin"`
	Alpha  Float  `json:"alpha"`
	// Estimate, Lower and Upper are the statistic judged (the metric, or the difference
	// candidate minus comparator) and its interval at Level.
	Estimate Float   `json:"estimate"`
	Lower    Float   `json:"lower"`
	Upper    Float   `json:"upper"`
	Level    float64 `json:"level"`
	// PValue is the one-sided p-value of the non-inferiority or McNemar test (null for
	// bound criteria).
	PValue Float `json:"p_value"`
	// Cases is the number of cases the statistic rests on (positives for sensitivity,
	// negatives for specificity, ...).
	Cases int `json:"cases"`
}

// SubgroupResult is the evaluation of one value of one subgroup column.
type SubgroupResult struct {
	Column    string `json:"column"`
	Value     string `json:"value"`
	Cases     int    `json:"cases"`
	Positives int    `json:"positives"`
	Negatives int    `json:"negatives"`
	// Powered is true when Cases reaches min_subgroup_cases; only then are the criteria
	// judged. An under-powered subgroup is inconclusive.
	Powered bool `json:"powered"`
	// Outcome is the worst outcome of its criteria (fail, then inconclusive), or
	// inconclusive when under-powered.
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason"`
	// Candidate and Comparator are the metrics within the subgroup (reported even when
	// under-powered); Paired the paired statistics; Criteria the judged criteria (empty
	// when under-powered).
	Candidate  Metrics           `json:"candidate"`
	Comparator *Metrics          `json:"comparator"`
	Paired     *PairedStats      `json:"paired"`
	Criteria   []CriterionResult `json:"criteria"`
}

// MinimumResult is one sample-size minimum.
type MinimumResult struct {
	// Name is "min_cases" or "min_positive_cases".
	Name     string `json:"name"`
	Required int    `json:"required"`
	Actual   int    `json:"actual"`
	Met      bool   `json:"met"`
}

// Timing records when the run happened and how fast it went.
type Timing struct {
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Seconds is FinishedAt - StartedAt.
	Seconds Float `json:"seconds"`
	// Calls is the number of ModelInfer calls made (cases times targets).
	Calls int `json:"calls"`
	// CallsPerSecond is Calls/Seconds and CasesPerSecond data-set cases per second (each
	// through every target); null when Seconds is 0.
	CallsPerSecond Float `json:"calls_per_second"`
	CasesPerSecond Float `json:"cases_per_second"`
}
