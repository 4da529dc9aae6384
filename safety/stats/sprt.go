package stats

import (
	"fmt"
	"math"
)

// SPRTDecision is the state of a Wald sequential probability ratio test.
type SPRTDecision int

const (
	// Continue: neither bound has been crossed; keep observing.
	Continue SPRTDecision = iota
	// AcceptH0: the log-likelihood ratio fell to the lower bound: the rate
	// is consistent with P0.
	AcceptH0
	// AcceptH1: the log-likelihood ratio rose to the upper bound: the rate
	// is consistent with the elevated P1.
	AcceptH1
)

// String returns "continue", "accept-h0" or "accept-h1".
func (d SPRTDecision) String() string {
	switch d {
	case Continue:
		return "continue"
	case AcceptH0:
		return "accept-h0"
	case AcceptH1:
		return "accept-h1"
	default:
		return fmt.Sprintf("sprt-decision(%d)", int(d))
	}
}

// SPRTConfig configures an SPRT. Every field must be set.
type SPRTConfig struct {
	// P0 is the acceptable event rate (H0) and P1 the elevated rate to
	// detect (H1), 0 < P0 < P1 < 1.
	P0, P1 float64
	// Alpha is the tolerated probability of accepting H1 when the rate is
	// P0 (a false alarm) and Beta of accepting H0 when it is P1, each in
	// (0, 1) with Alpha + Beta < 1.
	Alpha, Beta float64
}

// SPRT is Wald's sequential probability ratio test for a Bernoulli event
// rate (a safety signal such as adverse-event flags per case): H0: p = P0
// against H1: p = P1 > P0. After x events in n trials the log-likelihood
// ratio is S = x ln(P1/P0) + (n - x) ln((1-P1)/(1-P0)); the test accepts H1
// when S >= ln((1-Beta)/Alpha) and H0 when S <= ln(Beta/(1-Alpha)).
//
// Each Observe call is one look. Once a bound is crossed the test has
// stopped: the decision is kept, later observations are still counted but do
// not change it. Wald's bounds give error rates of at most about
// Alpha/(1-Beta) and Beta/(1-Alpha) (overshoot makes them conservative);
// the simulation tests check the false-alarm rate. Not safe for concurrent
// use.
//
// Reference: A. Wald, Ann Math Stat 16 (1945) 117-186; Wald, Sequential
// Analysis (1947).
type SPRT struct {
	cfg          SPRTConfig
	lower, upper float64
	events, n    int
	decision     SPRTDecision
	decidedAt    int
}

// NewSPRT returns a test with no observations. Errors: rates not satisfying
// 0 < P0 < P1 < 1, Alpha or Beta outside (0, 1), Alpha + Beta >= 1.
func NewSPRT(cfg SPRTConfig) (*SPRT, error) {
	const fn = "sprt"
	if err := checkProbabilityArg(fn, "P0", cfg.P0); err != nil {
		return nil, err
	}
	if err := checkProbabilityArg(fn, "P1", cfg.P1); err != nil {
		return nil, err
	}
	if !(cfg.P1 > cfg.P0) {
		return nil, invalidf(fn, "P1", "P1 %v <= P0 %v (H1 is the elevated rate to detect)", cfg.P1, cfg.P0)
	}
	if err := checkProbabilityArg(fn, "Alpha", cfg.Alpha); err != nil {
		return nil, err
	}
	if err := checkProbabilityArg(fn, "Beta", cfg.Beta); err != nil {
		return nil, err
	}
	if !(cfg.Alpha+cfg.Beta < 1) {
		return nil, invalidf(fn, "Beta", "Alpha %v + Beta %v >= 1 (the bounds would cross)", cfg.Alpha, cfg.Beta)
	}
	return &SPRT{
		cfg:   cfg,
		lower: math.Log(cfg.Beta / (1 - cfg.Alpha)),
		upper: math.Log((1 - cfg.Beta) / cfg.Alpha),
	}, nil
}

// Observe adds events out of trials and looks once. Errors: negative counts
// or events above trials (the test is left unchanged).
func (s *SPRT) Observe(events, trials int) error {
	if err := checkCounts("sprt", "events", "trials", events, trials); err != nil {
		return err
	}
	s.events += events
	s.n += trials
	if s.decision != Continue {
		return nil
	}
	switch llr := s.LogLikelihoodRatio(); {
	case llr >= s.upper:
		s.decision, s.decidedAt = AcceptH1, s.n
	case llr <= s.lower:
		s.decision, s.decidedAt = AcceptH0, s.n
	}
	return nil
}

// LogLikelihoodRatio is S for all events and trials observed so far.
func (s *SPRT) LogLikelihoodRatio() float64 {
	p0, p1 := s.cfg.P0, s.cfg.P1
	return float64(s.events)*math.Log(p1/p0) + float64(s.n-s.events)*math.Log((1-p1)/(1-p0))
}

// Bounds returns ln(Beta/(1-Alpha)) and ln((1-Beta)/Alpha).
func (s *SPRT) Bounds() (lower, upper float64) { return s.lower, s.upper }

// Decision is the test's state; once not Continue it no longer changes.
func (s *SPRT) Decision() SPRTDecision { return s.decision }

// DecidedAt is the number of trials at the look that crossed a bound, 0
// while the decision is Continue.
func (s *SPRT) DecidedAt() int { return s.decidedAt }

// Counts returns the events and trials observed.
func (s *SPRT) Counts() (events, trials int) { return s.events, s.n }

// Outcome maps AcceptH1 (the elevated rate) to Fail, AcceptH0 to Pass and
// Continue to Inconclusive.
func (s *SPRT) Outcome() Outcome {
	switch s.decision {
	case AcceptH0:
		return Pass
	case AcceptH1:
		return Fail
	default:
		return Inconclusive
	}
}
