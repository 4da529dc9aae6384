package stats

// bisect returns x in [lo, hi] with f(x) = target for f monotone on the
// interval, where f(lo) and f(hi) lie on opposite sides of target (or equal
// it). It halves the interval until it is narrower than tol or 200 steps have
// run, whichever is first, and returns the midpoint.
func bisect(f func(float64) float64, target, lo, hi, tol float64) float64 {
	flo := f(lo) - target
	for i := 0; i < 200 && hi-lo > tol; i++ {
		mid := lo + (hi-lo)/2
		fm := f(mid) - target
		if fm == 0 {
			return mid
		}
		if (fm > 0) == (flo > 0) {
			lo, flo = mid, fm
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}
