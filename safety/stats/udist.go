package stats

// exactUMax is the arm size below which the Mann-Whitney U test and the
// Hodges-Lehmann interval use the exact null distribution of U (when there
// are no ties), as R's wilcox.test does.
const exactUMax = 50

// uDistribution holds the exact null distribution of the Mann-Whitney U
// statistic for arms of m and n untied observations.
type uDistribution struct {
	m, n int
	// cdf[u] = P(U <= u) for u = 0..m*n.
	cdf []float64
}

// newUDistribution computes the distribution from the generating function
// prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i) (a Gaussian binomial coefficient;
// L. C. Harding, Appl Stat 33 (1984) 1-6), multiplying and dividing one
// factor at a time so that every intermediate polynomial has non-negative
// coefficients except transiently above degree n.
func newUDistribution(m, n int) uDistribution {
	size := m*n + 1
	c := make([]float64, size+m+n)
	c[0] = 1
	deg := 0
	for i := 1; i <= m; i++ {
		s := n + i
		for j := deg + s; j >= s; j-- {
			c[j] -= c[j-s]
		}
		deg += n
		for j := i; j <= deg; j++ {
			c[j] += c[j-i]
		}
		// The quotient has degree deg; what the product left above it is
		// not part of the polynomial.
		clear(c[deg+1:])
	}
	cdf := make([]float64, size)
	var total float64
	for u := 0; u < size; u++ {
		total += c[u]
	}
	var run float64
	for u := 0; u < size; u++ {
		run += c[u]
		cdf[u] = run / total
	}
	return uDistribution{m: m, n: n, cdf: cdf}
}

// atMost is P(U <= u).
func (d uDistribution) atMost(u int) float64 {
	switch {
	case u < 0:
		return 0
	case u >= len(d.cdf)-1:
		return 1
	}
	return d.cdf[u]
}

// atLeast is P(U >= u), computed from the lower tail by symmetry
// (U and mn - U have the same distribution) for accuracy.
func (d uDistribution) atLeast(u int) float64 {
	return d.atMost(d.m*d.n - u)
}

// lowerQuantile is the smallest q with P(U <= q) >= p, with R's qwilcox
// fuzz of 10 machine epsilons on p.
func (d uDistribution) lowerQuantile(p float64) int {
	const fuzz = 10 * 2.220446049250313e-16
	for q, v := range d.cdf {
		if v >= p-fuzz {
			return q
		}
	}
	return len(d.cdf) - 1
}
