package clinical

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/seed70a3350f/vigil/policies"
)

// Summary renders the result as a human-readable report: the verdict and its reasons,
// the data set, a table of each version's metrics with intervals, the paired
// statistics, the criteria overall and per subgroup, and the calls. meshctl prints it.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clinical validation %q: %s\n", r.Validation, r.Verdict)
	for _, reason := range r.Reasons {
		fmt.Fprintf(&b, "  - %s\n", reason)
	}
	fmt.Fprintf(&b, "\ndata set %s (sha256 %s): %d cases, %d %s, %d %s\n", r.Dataset.Name, shortHash(r.Dataset.SHA256),
		r.Dataset.Cases, r.Dataset.Positives, r.Dataset.PositiveLabel, r.Dataset.Negatives, r.Dataset.NegativeLabel)
	fmt.Fprintf(&b, "criteria %s; %.0f %% intervals (%s)", shortHash(r.CriteriaHash), 100*r.Settings.Confidence, r.Settings.Interval)
	if r.PolicyHash != "" {
		fmt.Fprintf(&b, "; policy %s", shortHash(r.PolicyHash))
	}
	b.WriteString("\n\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	header := "metric\t" + r.Candidate.Version + " (candidate)"
	if r.Comparator != nil {
		header += "\t" + r.Comparator.Version + " (comparator)"
	}
	if r.Paired != nil {
		header += "\tdifference (paired)"
	}
	fmt.Fprintln(tw, header)
	row := func(name string, cand, comp string, diff string) {
		line := name + "\t" + cand
		if r.Comparator != nil {
			line += "\t" + comp
		}
		if r.Paired != nil {
			line += "\t" + diff
		}
		fmt.Fprintln(tw, line)
	}
	compMetrics := func(f func(*Metrics) string) string {
		if r.Comparator == nil {
			return ""
		}
		return f(&r.Comparator.Metrics)
	}
	endpoint := func(metric string) string {
		if r.Paired == nil {
			return ""
		}
		for _, e := range r.Paired.Endpoints {
			if e.Metric == metric {
				return formatInterval(e.Difference, e.Lower, e.Upper)
			}
		}
		return ""
	}
	cm := func(m *Metrics) string {
		return fmt.Sprintf("TP %d FN %d TN %d FP %d", m.Confusion.TP, m.Confusion.FN, m.Confusion.TN, m.Confusion.FP)
	}
	row("confusion", cm(&r.Candidate.Metrics), compMetrics(cm), "")
	for _, metric := range []policies.Metric{policies.MetricSensitivity, policies.MetricSpecificity, policies.MetricPPV,
		policies.MetricNPV, policies.MetricAccuracy} {
		get := func(m *Metrics) string { return formatProportion(m.proportion(metric)) }
		row(metric.String(), get(&r.Candidate.Metrics), compMetrics(get), endpoint(metric.String()))
	}
	auc := func(m *Metrics) string { return formatInterval(m.AUC.Estimate, m.AUC.Lower, m.AUC.Upper) }
	aucDiff := ""
	if r.Paired != nil {
		d := r.Paired.AUCDifference
		aucDiff = formatInterval(d.Difference, d.Lower, d.Upper)
	}
	row("auc", auc(&r.Candidate.Metrics), compMetrics(auc), aucDiff)
	tw.Flush()
	calls := func(role string, t *TargetResult) string {
		c := t.Calls
		return fmt.Sprintf("%s %d/%d answered, %d failed (%d timeouts), %d wrong version", role, c.Answered, c.Total, c.Failed, c.Timeouts, c.WrongVersion)
	}
	fmt.Fprintf(&b, "\ncalls: %s", calls("candidate", &r.Candidate))
	if r.Comparator != nil {
		fmt.Fprintf(&b, "; %s", calls("comparator", r.Comparator))
	}
	b.WriteString("\n")
	if r.Paired != nil {
		mc := r.Paired.McNemar
		fmt.Fprintf(&b, "McNemar b = %d (comparator only right), c = %d (candidate only right)", mc.B, mc.C)
		if mc.PValue.Defined() {
			fmt.Fprintf(&b, ": %s p = %s two-sided, %s one-sided (candidate worse)", mc.Method, mc.PValue.format(4), mc.PValueCandidateWorse.format(4))
		}
		b.WriteString("\n")
	}

	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scope\tcriterion\toutcome\tdecided by")
	for _, cr := range r.Criteria {
		fmt.Fprintf(tw, "all cases\t%s\t%s\t%s\n", cr.Source, cr.Outcome, cr.Reason)
	}
	for _, g := range r.Subgroups {
		where := fmt.Sprintf("%s=%s (%d cases)", g.Column, g.Value, g.Cases)
		if !g.Powered {
			fmt.Fprintf(tw, "%s\t-\t%s\t%s\n", where, g.Outcome, g.Reason)
			continue
		}
		for _, cr := range g.Criteria {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", where, cr.Source, cr.Outcome, cr.Reason)
		}
	}
	tw.Flush()
	if !r.Timing.StartedAt.IsZero() {
		fmt.Fprintf(&b, "\nran %s to %s: %d calls, %s calls/s\n", r.Timing.StartedAt.Format("2006-01-02T15:04:05.000Z07:00"),
			r.Timing.FinishedAt.Format("2006-01-02T15:04:05.000Z07:00"), r.Timing.Calls, r.Timing.CallsPerSecond.format(1))
	}
	return b.String()
}

func formatProportion(p Proportion) string {
	return fmt.Sprintf("%d/%d %s", p.Successes, p.Trials, formatInterval(p.Estimate, p.Lower, p.Upper))
}

func formatInterval(est, lower, upper Float) string {
	if !est.Defined() {
		return "n/a"
	}
	return fmt.Sprintf("%s [%s, %s]", est.format(3), lower.format(3), upper.format(3))
}

// shortHash shortens a hex digest, with or without a "sha256:" prefix, to 12 digits.
func shortHash(h string) string {
	keep := 12
	if strings.HasPrefix(h, "sha256:") {
		keep += len("sha256:")
	}
	if len(h) > keep {
		return h[:keep]
	}
	return h
}
