package clinical

import (
	"fmt"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// Scores given to cases without a probability from the pinned version. DeLong's method
// uses only ranks, so values outside [0, 1] rank such a case below (or above) every real
// probability.
const (
	scoreRankLast  = -1.0
	scoreRankFirst = 2.0
)

// scope is a set of cases evaluated together: all cases or one subgroup.
type scope struct {
	ds  *Dataset
	idx []int // indices into ds.Cases
}

func (s scope) counts() (cases, positives, negatives int) {
	for _, i := range s.idx {
		if s.ds.Cases[i].Positive {
			positives++
		} else {
			negatives++
		}
	}
	return len(s.idx), positives, negatives
}

// settings are what the metric computations need from the spec.
type settings struct {
	level  float64
	method stats.IntervalMethod
}

func settingsOf(spec *policies.ClinicalValidation) (settings, error) {
	s := settings{level: spec.Confidence}
	switch spec.Interval {
	case policies.IntervalWilson:
		s.method = stats.WilsonInterval
	case policies.IntervalClopperPearson:
		s.method = stats.ClopperPearsonInterval
	default:
		return settings{}, configErrorf("spec interval %v: want wilson or clopper_pearson", spec.Interval)
	}
	if !(spec.Confidence > 0 && spec.Confidence < 1) {
		return settings{}, configErrorf("spec confidence %v: want a level in (0, 1), e.g. 0.95", spec.Confidence)
	}
	return s, nil
}

// intervalName is the policy spelling of the interval method.
func (s settings) intervalName() string {
	if s.method == stats.ClopperPearsonInterval {
		return policies.IntervalClopperPearson.String()
	}
	return policies.IntervalWilson.String()
}

// computeMetrics returns a target's performance on the scope. Cases without a usable
// answer count as wrong and, for the AUC, rank last.
func computeMetrics(sc scope, ans *Answers, set settings) (Metrics, error) {
	var m Metrics
	m.Cases, m.Positives, m.Negatives = sc.counts()
	scores := make([]float64, len(sc.idx))
	labels := make([]bool, len(sc.idx))
	usable := 0
	for k, i := range sc.idx {
		c, a := sc.ds.Cases[i], ans.Cases[i]
		labels[k] = c.Positive
		ok := a.usable(ans.Version)
		if ok {
			usable++
			scores[k] = a.Probability
		} else if c.Positive {
			scores[k] = scoreRankLast
		} else {
			scores[k] = scoreRankFirst
		}
		switch {
		case c.Positive && ok && a.PredictedPositive:
			m.Confusion.TP++
		case c.Positive:
			m.Confusion.FN++
		case ok && !a.PredictedPositive:
			m.Confusion.TN++
		default:
			m.Confusion.FP++
		}
	}
	cm := m.Confusion
	var err error
	for _, p := range []struct {
		dst               *Proportion
		successes, trials int
		emptyNote         string
	}{
		{&m.Sensitivity, cm.TP, cm.TP + cm.FN, "no positive cases"},
		{&m.Specificity, cm.TN, cm.TN + cm.FP, "no negative cases"},
		{&m.PPV, cm.TP, cm.TP + cm.FP, "no case was called positive"},
		{&m.NPV, cm.TN, cm.TN + cm.FN, "no case was called negative"},
		{&m.Accuracy, cm.TP + cm.TN, m.Cases, "no cases"},
	} {
		if *p.dst, err = proportion(p.successes, p.trials, set, p.emptyNote); err != nil {
			return Metrics{}, err
		}
	}
	m.AUC, err = computeAUC(scores, labels, usable, set.level)
	return m, err
}

// proportion is successes/trials with its interval; undefined with note when trials = 0.
func proportion(successes, trials int, set settings, note string) (Proportion, error) {
	p := Proportion{Successes: successes, Trials: trials, Level: set.level, Method: set.intervalName(),
		Estimate: undefined(), Lower: undefined(), Upper: undefined()}
	if trials == 0 {
		p.Note = note
		return p, nil
	}
	var iv stats.Interval
	var err error
	if set.method == stats.ClopperPearsonInterval {
		iv, err = stats.ClopperPearson(successes, trials, set.level)
	} else {
		iv, err = stats.Wilson(successes, trials, set.level)
	}
	if err != nil {
		return Proportion{}, fmt.Errorf("interval for %d/%d: %w", successes, trials, err)
	}
	p.Estimate, p.Lower, p.Upper = Float(iv.Estimate), Float(iv.Lower), Float(iv.Upper)
	return p, nil
}

// computeAUC is DeLong's AUC of scores; undefined when nothing was answered or a class
// is missing.
func computeAUC(scores []float64, labels []bool, usable int, level float64) (AUC, error) {
	a := AUC{Estimate: undefined(), Lower: undefined(), Upper: undefined(), StdErr: undefined(), Level: level,
		Method: "delong", ImputedScores: len(scores) - usable}
	for _, pos := range labels {
		if pos {
			a.Positives++
		} else {
			a.Negatives++
		}
	}
	switch {
	case usable == 0:
		a.Note = "no case was answered by the pinned version"
		return a, nil
	case a.Positives == 0 || a.Negatives == 0:
		a.Note = fmt.Sprintf("%d positive and %d negative cases: the AUC needs both classes", a.Positives, a.Negatives)
		return a, nil
	}
	r, err := stats.DeLongAUC(scores, labels, level)
	if err != nil {
		return AUC{}, fmt.Errorf("auc: %w", err)
	}
	a.Estimate = Float(r.AUC)
	a.Lower, a.Upper, a.StdErr = Float(r.Interval.Lower), Float(r.Interval.Upper), Float(r.StdErr)
	a.Note = r.Reason
	return a, nil
}
