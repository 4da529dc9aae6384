package stats

import (
	"fmt"
	"math"
)

// MSPRTConfig configures an MSPRT. Both fields must be set.
type MSPRTConfig struct {
	// Tau2 is the variance tau^2 of the normal mixing distribution over the
	// true difference of means, in the metric's units squared, > 0. Choose
	// it near the square of the smallest difference worth detecting: the
	// p-values are valid for any choice, power is best near it.
	Tau2 float64
	// MinPairs is the number of observation pairs before the first look,
	// >= 2 (the variance needs two); until then PValue is 1. Plug-in
	// variance estimates from very few pairs are erratic, so 10 or more is
	// prudent.
	MinPairs int
}

// MSPRT is the mixture sequential probability ratio test for the difference
// of means of two streams (canary and baseline) observed in pairs, with a
// normal mixture N(0, tau^2) over the difference. After n pairs with mean
// difference zbar = mean(canary) - mean(baseline) and V = 2 sigma^2,
//
//	Lambda_n = sqrt(V/(V + n tau^2)) exp(n^2 tau^2 zbar^2 / (2V(V + n tau^2)))
//
// and the always-valid p-value is p_n = min(p_{n-1}, 1/Lambda_n): the
// probability that p_n ever falls below alpha under H0 (equal means) is at
// most alpha, however often it is looked at. sigma^2 is estimated only from
// the data seen so far, pooled over both streams ((s_canary^2 +
// s_baseline^2)/2), so V is the variance of one difference; this plug-in
// makes the guarantee approximate, which the simulation tests check.
//
// Each Update or UpdateSummary call is one look. Rejection is two-sided
// (the mixture is symmetric); Verdict gives it a direction. Not safe for
// concurrent use.
//
// Reference: R. Johari, P. Koomen, L. Pekelis, D. Walsh, "Always valid
// inference", Operations Research 70 (2022) 1806-1821 (KDD 2017 version:
// "Peeking at A/B tests"); H. Robbins, Ann Math Stat 41 (1970) 1397-1409.
type MSPRT struct {
	cfg              MSPRTConfig
	canary, baseline Summary
	p                float64
	logLambda        float64
}

// NewMSPRT returns a monitor with no observations and PValue 1. Errors:
// Tau2 not a finite number > 0, MinPairs < 2.
func NewMSPRT(cfg MSPRTConfig) (*MSPRT, error) {
	const fn = "msprt"
	if !(cfg.Tau2 > 0) || math.IsInf(cfg.Tau2, 1) {
		return nil, invalidf(fn, "Tau2", "Tau2 %v is not a finite number > 0", cfg.Tau2)
	}
	if cfg.MinPairs < 2 {
		return nil, invalidf(fn, "MinPairs", "MinPairs %d < 2 (the variance needs at least two pairs)", cfg.MinPairs)
	}
	return &MSPRT{cfg: cfg, p: 1}, nil
}

// Update adds one pair (canary, baseline) and looks. Errors: a value that is
// NaN or infinite (the monitor is left unchanged).
func (m *MSPRT) Update(canary, baseline float64) error {
	if err := checkFinite("msprt", "canary", canary); err != nil {
		return err
	}
	if err := checkFinite("msprt", "baseline", baseline); err != nil {
		return err
	}
	m.canary.add(canary)
	m.baseline.add(baseline)
	m.look()
	return nil
}

// UpdateSummary adds a batch of pairs given by the summaries of its canary
// and baseline halves, and looks once. Errors: unequal counts (the test
// needs pairs), a negative count, a non-finite mean or a negative M2 (the
// monitor is left unchanged).
func (m *MSPRT) UpdateSummary(canary, baseline Summary) error {
	const fn = "msprt"
	if err := canary.check(fn, "canary"); err != nil {
		return err
	}
	if err := baseline.check(fn, "baseline"); err != nil {
		return err
	}
	if canary.N != baseline.N {
		return invalidf(fn, "canary.N", "canary.N %d != baseline.N %d (the test compares pairs)", canary.N, baseline.N)
	}
	m.canary = m.canary.merge(canary)
	m.baseline = m.baseline.merge(baseline)
	m.look()
	return nil
}

func (m *MSPRT) look() {
	n := m.canary.N
	if n < m.cfg.MinPairs {
		return
	}
	v := m.canary.Variance() + m.baseline.Variance() // 2 sigma^2, sigma^2 pooled
	zbar := m.canary.Mean - m.baseline.Mean
	m.logLambda = normalMixtureLogLR(zbar, v/float64(n), m.cfg.Tau2)
	m.p = math.Min(m.p, math.Exp(-m.logLambda))
}

// normalMixtureLogLR is the log of the N(0, tau2)-mixture likelihood ratio
// for an estimate est ~ N(theta, v) of theta against theta = 0:
// 0.5 log(v/(v+tau2)) + tau2 est^2 / (2 v (v+tau2)). With v = V/n this is
// the Johari et al. Lambda_n. It is 0 (no evidence) when v is not positive.
func normalMixtureLogLR(est, v, tau2 float64) float64 {
	if !(v > 0) {
		return 0
	}
	return 0.5*math.Log(v/(v+tau2)) + tau2*est*est/(2*v*(v+tau2))
}

// N is the number of pairs observed.
func (m *MSPRT) N() int { return m.canary.N }

// MeanDifference is mean(canary) - mean(baseline) so far; NaN before any
// pair.
func (m *MSPRT) MeanDifference() float64 {
	if m.canary.N == 0 {
		return math.NaN()
	}
	return m.canary.Mean - m.baseline.Mean
}

// LogLambda is the log mixture likelihood ratio at the last look (0 before
// MinPairs).
func (m *MSPRT) LogLambda() float64 { return m.logLambda }

// PValue is the always-valid p-value: non-increasing over looks, 1 before
// MinPairs pairs.
func (m *MSPRT) PValue() float64 { return m.p }

// Reject reports whether PValue <= alpha (equivalently Lambda >= 1/alpha at
// some look so far). Errors: alpha outside (0, 1).
func (m *MSPRT) Reject(alpha float64) (bool, error) {
	if err := checkProbabilityArg("msprt", "alpha", alpha); err != nil {
		return false, err
	}
	return m.p <= alpha, nil
}

// Verdict judges the stream at alpha for the harmful direction harm: Fail
// when the test rejects and the mean difference lies on the harmful side
// (either side for Either), Pass when it rejects with the difference on the
// harmless side, Inconclusive when it has not rejected (or before MinPairs).
// Errors: alpha outside (0, 1), an invalid direction.
func (m *MSPRT) Verdict(alpha float64, harm Direction) (Outcome, string, error) {
	if !harm.valid() {
		return Inconclusive, "", invalidf("msprt", "harm", "harm %d is not Increase, Decrease or Either", int(harm))
	}
	reject, err := m.Reject(alpha)
	if err != nil {
		return Inconclusive, "", err
	}
	return streamVerdict(reject, m.N() < m.cfg.MinPairs, m.p, alpha, m.MeanDifference(), harm, fmt.Sprintf("%d pairs", m.N()))
}

func streamVerdict(reject, early bool, p, alpha, diff float64, harm Direction, seen string) (Outcome, string, error) {
	switch {
	case early:
		return Inconclusive, fmt.Sprintf("%s seen, fewer than the minimum before the first look", seen), nil
	case !reject:
		return Inconclusive, fmt.Sprintf("always-valid p = %.6g > alpha = %g after %s: no difference shown yet", p, alpha, seen), nil
	case harm == Either || (harm == Increase) == (diff > 0):
		return Fail, fmt.Sprintf("always-valid p = %.6g <= alpha = %g after %s: canary - baseline = %.6g is harmful (%s)", p, alpha, seen, diff, harm), nil
	default:
		return Pass, fmt.Sprintf("always-valid p = %.6g <= alpha = %g after %s: canary - baseline = %.6g is on the harmless side (%s)", p, alpha, seen, diff, harm), nil
	}
}
