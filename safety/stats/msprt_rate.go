package stats

import (
	"fmt"
	"math"
)

// MSPRTRateConfig configures an MSPRTRate. Both fields must be set.
type MSPRTRateConfig struct {
	// Tau2 is the variance of the normal mixing distribution over the true
	// rate difference p_canary - p_baseline, > 0 and < 1; e.g. 1e-4 for
	// differences around one percentage point.
	Tau2 float64
	// MinTrials is the number of trials each arm must have before the
	// first look, >= 1; until then PValue is 1.
	MinTrials int
}

// MSPRTRate is the always-valid mSPRT for the difference of two event rates
// (errors per request in the canary and in the baseline), fed (events,
// trials) counts per arm. It applies the same normal mixture as MSPRT to the
// estimate theta = p_canary - p_baseline, whose variance under H0 (equal
// rates) is estimated from the pooled rate seen so far:
// v = pbar (1 - pbar) (1/n_canary + 1/n_baseline). With equal arm sizes n
// this is exactly MSPRT's formula with V = 2 pbar (1 - pbar), the variance
// of one paired difference of Bernoulli outcomes.
//
// Derivation: for the Brownian approximation of the score process in
// information time I = 1/v, the N(0, tau^2) mixture of exp(theta S - theta^2
// I/2) is sqrt(v/(v + tau^2)) exp(tau^2 theta_hat^2 / (2 v (v + tau^2))), a
// martingale under H0. The guarantee is therefore asymptotic: it needs
// enough events for the normal approximation and a variance estimate that
// settles; until any event is seen v = 0 and the look carries no evidence.
// The simulation tests check the false-alarm rate at realistic rates.
//
// Each Update is one look; the p-value is non-increasing. Not safe for
// concurrent use.
//
// Reference: Johari, Koomen, Pekelis, Walsh (2022), section on binary
// outcomes and the normal approximation.
type MSPRTRate struct {
	cfg              MSPRTRateConfig
	canary, baseline ArmCounts
	p                float64
	logLambda        float64
}

// NewMSPRTRate returns a monitor with no observations and PValue 1. Errors:
// Tau2 outside (0, 1), MinTrials < 1.
func NewMSPRTRate(cfg MSPRTRateConfig) (*MSPRTRate, error) {
	const fn = "msprt-rate"
	if err := checkProbabilityArg(fn, "Tau2", cfg.Tau2); err != nil {
		return nil, err
	}
	if cfg.MinTrials < 1 {
		return nil, invalidf(fn, "MinTrials", "MinTrials %d < 1", cfg.MinTrials)
	}
	return &MSPRTRate{cfg: cfg, p: 1}, nil
}

// Update adds the counts observed since the last call in each arm and looks
// once. Errors: negative counts or events above trials (the monitor is left
// unchanged).
func (m *MSPRTRate) Update(canary, baseline ArmCounts) error {
	if err := checkArms("msprt-rate", canary, baseline); err != nil {
		return err
	}
	m.canary.Events += canary.Events
	m.canary.Trials += canary.Trials
	m.baseline.Events += baseline.Events
	m.baseline.Trials += baseline.Trials
	if m.early() {
		return nil
	}
	nc, nb := float64(m.canary.Trials), float64(m.baseline.Trials)
	pooled := float64(m.canary.Events+m.baseline.Events) / (nc + nb)
	v := pooled * (1 - pooled) * (1/nc + 1/nb)
	m.logLambda = normalMixtureLogLR(m.canary.Rate()-m.baseline.Rate(), v, m.cfg.Tau2)
	m.p = math.Min(m.p, math.Exp(-m.logLambda))
	return nil
}

func (m *MSPRTRate) early() bool {
	return m.canary.Trials < m.cfg.MinTrials || m.baseline.Trials < m.cfg.MinTrials
}

// Canary and Baseline return the cumulative counts of each arm.
func (m *MSPRTRate) Canary() ArmCounts   { return m.canary }
func (m *MSPRTRate) Baseline() ArmCounts { return m.baseline }

// LogLambda is the log mixture likelihood ratio at the last look.
func (m *MSPRTRate) LogLambda() float64 { return m.logLambda }

// PValue is the always-valid p-value: non-increasing, 1 before MinTrials.
func (m *MSPRTRate) PValue() float64 { return m.p }

// Reject reports whether PValue <= alpha. Errors: alpha outside (0, 1).
func (m *MSPRTRate) Reject(alpha float64) (bool, error) {
	if err := checkProbabilityArg("msprt-rate", "alpha", alpha); err != nil {
		return false, err
	}
	return m.p <= alpha, nil
}

// Verdict judges the rates at alpha: Fail when the test rejects with the
// canary's rate higher (more errors is the harm), Pass when it rejects with
// the canary's rate lower, Inconclusive otherwise. Errors: alpha outside
// (0, 1).
func (m *MSPRTRate) Verdict(alpha float64) (Outcome, string, error) {
	reject, err := m.Reject(alpha)
	if err != nil {
		return Inconclusive, "", err
	}
	diff := math.NaN()
	if m.canary.Trials > 0 && m.baseline.Trials > 0 {
		diff = m.canary.Rate() - m.baseline.Rate()
	}
	seen := fmt.Sprintf("canary %d/%d, baseline %d/%d", m.canary.Events, m.canary.Trials, m.baseline.Events, m.baseline.Trials)
	return streamVerdict(reject, m.early(), m.p, alpha, diff, Increase, seen)
}
