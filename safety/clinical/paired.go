package clinical

import (
	"fmt"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// pairedEndpoints are the paired proportions: each selects the cases it is computed on.
var pairedEndpoints = []struct {
	metric policies.Metric
	on     func(positive bool) bool
	empty  string
}{
	{policies.MetricSensitivity, func(p bool) bool { return p }, "no positive cases"},
	{policies.MetricSpecificity, func(p bool) bool { return !p }, "no negative cases"},
	{policies.MetricAccuracy, func(bool) bool { return true }, "no cases"},
}

// computePaired compares candidate and comparator on the scope's cases. A case the
// candidate did not answer counts as wrong for it; a case the comparator did not answer
// counts as right for the comparator (and its score ranks first), so missing answers
// never favour the candidate.
func computePaired(sc scope, cand, comp *Answers, set settings) (PairedStats, error) {
	ps := PairedStats{Comparator: comp.Version}
	candRight := make([]bool, len(sc.idx))
	compRight := make([]bool, len(sc.idx))
	candScores := make([]float64, len(sc.idx))
	compScores := make([]float64, len(sc.idx))
	labels := make([]bool, len(sc.idx))
	candUsable, compUsable := 0, 0
	for k, i := range sc.idx {
		c := sc.ds.Cases[i]
		labels[k] = c.Positive
		if a := cand.Cases[i]; a.usable(cand.Version) {
			candUsable++
			candRight[k] = a.PredictedPositive == c.Positive
			candScores[k] = a.Probability
		} else {
			candScores[k] = worstScore(c.Positive)
		}
		if a := comp.Cases[i]; a.usable(comp.Version) {
			compUsable++
			compRight[k] = a.PredictedPositive == c.Positive
			compScores[k] = a.Probability
		} else {
			ps.ComparatorImputed++
			compRight[k] = true
			compScores[k] = bestScore(c.Positive)
		}
	}
	for _, ep := range pairedEndpoints {
		e := PairedEndpoint{Metric: ep.metric.String(), Level: set.level, Method: "tango",
			Difference: undefined(), Lower: undefined(), Upper: undefined()}
		for k := range sc.idx {
			if !ep.on(labels[k]) {
				continue
			}
			e.Cases++
			switch {
			case candRight[k] && compRight[k]:
				e.BothRight++
			case compRight[k]:
				e.ComparatorOnlyRight++
			case candRight[k]:
				e.CandidateOnlyRight++
			default:
				e.BothWrong++
			}
		}
		if e.Cases == 0 {
			e.Note = ep.empty
		} else {
			pc := e.counts()
			iv, err := stats.TangoInterval(pc, set.level)
			if err != nil {
				return PairedStats{}, fmt.Errorf("paired %s: %w", e.Metric, err)
			}
			e.Difference, e.Lower, e.Upper = Float(pc.Difference()), Float(iv.Lower), Float(iv.Upper)
		}
		ps.Endpoints = append(ps.Endpoints, e)
	}
	var err error
	if ps.McNemar, err = mcnemar(ps.Endpoints[2].counts(), set.level); err != nil {
		return PairedStats{}, err
	}
	ps.AUCDifference, err = aucDifference(compScores, candScores, labels, candUsable, compUsable, set.level)
	return ps, err
}

// counts returns the endpoint's paired counts.
func (e PairedEndpoint) counts() stats.PairedCounts {
	return stats.PairedCounts{B: e.ComparatorOnlyRight, C: e.CandidateOnlyRight, N: e.Cases}
}

// endpoint returns the paired endpoint of metric, or nil.
func (ps *PairedStats) endpoint(metric policies.Metric) *PairedEndpoint {
	return ps.endpointByName(metric.String())
}

// endpointByName returns the paired endpoint named name ("sensitivity", ...), or nil.
func (ps *PairedStats) endpointByName(name string) *PairedEndpoint {
	for i := range ps.Endpoints {
		if ps.Endpoints[i].Metric == name {
			return &ps.Endpoints[i]
		}
	}
	return nil
}

func worstScore(positive bool) float64 {
	if positive {
		return scoreRankLast
	}
	return scoreRankFirst
}

func bestScore(positive bool) float64 {
	if positive {
		return scoreRankFirst
	}
	return scoreRankLast
}

// mcnemar runs stats.McNemarChoose (mid-p below 25 discordant pairs, else the z test)
// and derives the one-sided p-value for "the candidate is worse". Both variants are
// symmetric, so the one-sided p is half the two-sided one when b >= c and one minus that
// half otherwise.
func mcnemar(pc stats.PairedCounts, level float64) (McNemarStats, error) {
	m := McNemarStats{B: pc.B, C: pc.C, Statistic: undefined(), PValue: undefined(), PValueCandidateWorse: undefined()}
	if pc.B+pc.C == 0 {
		m.Note = "no discordant pairs: the two versions were right and wrong on the same cases"
		return m, nil
	}
	r, err := stats.McNemarChoose(pc.B, pc.C, 1-level)
	if err != nil {
		return McNemarStats{}, fmt.Errorf("mcnemar: %w", err)
	}
	m.Method, m.Statistic, m.PValue = r.Method.String(), Float(r.Statistic), Float(r.PValue)
	if pc.B >= pc.C {
		m.PValueCandidateWorse = Float(r.PValue / 2)
	} else {
		m.PValueCandidateWorse = Float(1 - r.PValue/2)
	}
	return m, nil
}

// aucDifference is DeLong's paired test of the candidate's AUC against the comparator's.
func aucDifference(compScores, candScores []float64, labels []bool, candUsable, compUsable int, level float64) (AUCDifference, error) {
	d := AUCDifference{Candidate: undefined(), Comparator: undefined(), Difference: undefined(), Lower: undefined(),
		Upper: undefined(), Z: undefined(), PValue: undefined(), Level: level, Method: "delong"}
	if candUsable == 0 || compUsable == 0 {
		d.Note = "a version answered no case: nothing to compare"
		return d, nil
	}
	r, err := stats.DeLongTest(compScores, candScores, labels, 1-level)
	if err != nil {
		return AUCDifference{}, fmt.Errorf("auc difference: %w", err)
	}
	d.Candidate, d.Comparator = Float(r.Candidate.AUC), Float(r.Reference.AUC)
	d.Difference, d.Lower, d.Upper = Float(r.Difference), Float(r.Interval.Lower), Float(r.Interval.Upper)
	d.Z, d.PValue = Float(r.Z), Float(r.PValue)
	if r.Reference.Reason != "" || r.Candidate.Reason != "" || !d.Lower.Defined() {
		d.Note = r.Reason
	}
	return d, nil
}
