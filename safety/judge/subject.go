package judge

import (
	"errors"
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// Subject is what a judge compares: a candidate version of a service with a baseline
// version of the same service.
type Subject struct {
	// Service is the service name; ${service} renders to it.
	Service string
	// Version is the candidate (canary) version.
	Version string
	// BaselineVersion is the version the candidate is compared with.
	BaselineVersion string
}

// Window is the stretch of time a judge looks at: usually the bake of a canary step.
type Window struct {
	// Start and End bound the window; End is after Start.
	Start, End time.Time
	// Step is the resolution of range queries: mann_whitney takes one sample per Step,
	// msprt and sprt one look per Step, and ${interval} renders to Step in those queries.
	// It must be positive and at most the window's length for those methods; use at least
	// two scrape intervals so each step holds two samples of a counter. Unused by
	// farrington_manning and fisher.
	Step time.Duration
}

// Length is End - Start.
func (w Window) Length() time.Duration { return w.End.Sub(w.Start) }

// arm is one side of a comparison.
type arm string

const (
	candidateArm arm = "candidate"
	baselineArm  arm = "baseline"
)

// vars are the placeholder values of a's queries with ${interval} rendered as interval.
func (s Subject) vars(a arm, interval time.Duration) policies.QueryVars {
	v := policies.QueryVars{Service: s.Service, Version: s.Version, BaselineVersion: s.BaselineVersion, Interval: interval}
	if a == baselineArm {
		v.Version = s.BaselineVersion
	}
	return v
}

// version is the version a's queries are about.
func (s Subject) version(a arm) string {
	if a == baselineArm {
		return s.BaselineVersion
	}
	return s.Version
}

// check names what makes evaluating j for s over w impossible.
func check(j *policies.Judge, s Subject, w Window) error {
	if j == nil {
		return errors.New("judge is nil")
	}
	switch {
	case s.Service == "":
		return fmt.Errorf("judge %q: subject has no service name", j.Name)
	case s.Version == "" || s.BaselineVersion == "":
		return fmt.Errorf("judge %q: subject needs a candidate and a baseline version, got %q and %q", j.Name, s.Version, s.BaselineVersion)
	case s.Version == s.BaselineVersion:
		return fmt.Errorf("judge %q: candidate and baseline are the same version %q", j.Name, s.Version)
	case w.Start.IsZero() || w.End.IsZero():
		return fmt.Errorf("judge %q: window %s has a zero bound; set both Start and End", j.Name, formatWindow(w))
	case !w.End.After(w.Start):
		return fmt.Errorf("judge %q: window end %s is not after its start %s", j.Name, formatTime(w.End), formatTime(w.Start))
	case w.Length() < time.Millisecond:
		return fmt.Errorf("judge %q: window %s is shorter than 1ms, Prometheus's resolution", j.Name, formatWindow(w))
	}
	if usesRanges(j.Method) && (w.Step <= 0 || w.Step > w.Length()) {
		return fmt.Errorf("judge %q (%s): window step %v must be positive and at most the window length %v", j.Name, j.Method, w.Step, w.Length())
	}
	return checkJudge(j)
}

// checkJudge names the first setting of j this package cannot use. Judges from
// policies.Parse always pass; the check catches specs built by hand.
func checkJudge(j *policies.Judge) error {
	prob := func(v float64) bool { return v > 0 && v < 1 }
	switch {
	case j.Method < policies.MethodFarringtonManning || j.Method > policies.MethodSPRT:
		return fmt.Errorf("judge %q has unknown method %v", j.Name, j.Method)
	case j.Method.UsesRates() && (j.Events.IsZero() || j.Trials.IsZero()):
		return fmt.Errorf("judge %q (%s) needs events and trials queries", j.Name, j.Method)
	case !j.Method.UsesRates() && j.Samples.IsZero():
		return fmt.Errorf("judge %q (%s) needs a samples query", j.Name, j.Method)
	case j.Direction < policies.DirectionIncrease || j.Direction > policies.DirectionEither:
		return fmt.Errorf("judge %q has unknown direction %v", j.Name, j.Direction)
	case !prob(j.Alpha):
		return fmt.Errorf("judge %q has alpha %v; want a value in (0, 1)", j.Name, j.Alpha)
	case !prob(j.Confidence):
		return fmt.Errorf("judge %q has confidence %v; want a value in (0, 1)", j.Name, j.Confidence)
	case j.Margin < 0 || (j.Method.UsesRates() && j.Margin >= 1):
		return fmt.Errorf("judge %q has margin %v; want [0, 1) for rates, >= 0 for mann_whitney", j.Name, j.Margin)
	case j.MinSamples < 1:
		return fmt.Errorf("judge %q has min_samples %d; want at least 1", j.Name, j.MinSamples)
	case j.Method == policies.MethodSPRT && (!prob(j.P0) || !prob(j.P1) || !prob(j.Beta) || j.P0 == j.P1):
		return fmt.Errorf("judge %q (sprt) has p0 %v, p1 %v, beta %v; want distinct p0 and p1 and beta, each in (0, 1)", j.Name, j.P0, j.P1, j.Beta)
	case j.Method == policies.MethodSPRT && j.Direction == policies.DirectionEither:
		return fmt.Errorf("judge %q (sprt) has direction either; sprt tests one direction", j.Name)
	case j.Method == policies.MethodSPRT && (j.Direction == policies.DirectionIncrease) != (j.P1 > j.P0):
		return fmt.Errorf("judge %q (sprt): p1 %v must be above p0 %v with direction increase and below it with decrease", j.Name, j.P1, j.P0)
	}
	return nil
}

// usesRanges reports whether method reads range queries (and so needs Window.Step).
func usesRanges(m policies.JudgeMethod) bool {
	return m == policies.MethodMannWhitney || m == policies.MethodMSPRT || m == policies.MethodSPRT
}

func formatWindow(w Window) string {
	return fmt.Sprintf("[%s, %s]", formatTime(w.Start), formatTime(w.End))
}

// formatTime renders t in UTC with millisecond precision, Prometheus's resolution.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
