package stats

import "math"

// Summary holds the sufficient statistics of a batch of observations of one
// stream: the count, the mean and M2, the sum of squared deviations from the
// mean (Welford's form, which keeps the variance accurate).
type Summary struct {
	N    int
	Mean float64
	M2   float64
}

// Summarize returns the Summary of xs (a NaN or infinity in xs makes the
// summary non-finite, which MSPRT.UpdateSummary rejects).
func Summarize(xs []float64) Summary {
	var s Summary
	for _, x := range xs {
		s.add(x)
	}
	return s
}

// Variance is the sample variance M2/(N-1); NaN when N < 2.
func (s Summary) Variance() float64 {
	if s.N < 2 {
		return math.NaN()
	}
	return s.M2 / float64(s.N-1)
}

func (s *Summary) add(x float64) {
	s.N++
	d := x - s.Mean
	s.Mean += d / float64(s.N)
	s.M2 += d * (x - s.Mean)
}

// merge combines two summaries (Chan, Golub and LeVeque's parallel form).
func (s Summary) merge(o Summary) Summary {
	if o.N == 0 {
		return s
	}
	if s.N == 0 {
		return o
	}
	n := s.N + o.N
	d := o.Mean - s.Mean
	return Summary{
		N:    n,
		Mean: s.Mean + d*float64(o.N)/float64(n),
		M2:   s.M2 + o.M2 + d*d*float64(s.N)*float64(o.N)/float64(n),
	}
}

func (s Summary) check(fn, arg string) error {
	switch {
	case s.N < 0:
		return invalidf(fn, arg+".N", "%s.N %d < 0 (counts cannot be negative)", arg, s.N)
	case s.N == 0 && (s.Mean != 0 || s.M2 != 0):
		return invalidf(fn, arg+".N", "%s.N 0 with Mean %v and M2 %v (an empty summary has zero mean and M2)", arg, s.Mean, s.M2)
	case math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0):
		return invalidf(fn, arg+".Mean", "%s.Mean %v is not a finite number", arg, s.Mean)
	case !(s.M2 >= 0) || math.IsInf(s.M2, 0):
		return invalidf(fn, arg+".M2", "%s.M2 %v is not a finite number >= 0", arg, s.M2)
	}
	return nil
}
