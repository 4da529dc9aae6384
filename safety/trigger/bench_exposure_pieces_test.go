package trigger

import (
	"math/rand/v2"
	"testing"
)

// The exposure benchmark's pieces, checked on hand-made traffic.
func TestExposureSimulationPieces(t *testing.T) {
	if got := calibrate([]float64{0.5, 0.1, 0.3, 0.2, 0.4}, 0.2); got != 0.4 {
		t.Errorf("calibrate at alpha 0.2 = %v, want 0.4 (only 0.5 above it: 1 of 5)", got)
	}
	if got := window([]int{1, 2, 3, 4}, 2, 2); got != 5 {
		t.Errorf("window of 2 ending at second 2 = %d, want 2+3", got)
	}

	// 12 requests every second, no errors before second 100, all errors from it on.
	tr := canaryTraffic{requests: make([]int, 300), errors: make([]int, 300)}
	for s := range tr.requests {
		tr.requests[s] = 12
		if s >= 100 {
			tr.errors[s] = 12
		}
	}
	plan := newVigilPlan(t, 0.02)
	if got := plan.rollbackSecond(tr); got != 100 {
		t.Errorf("Vigil decides at second %d, want 100 (error_burst at the first breaching second)", got)
	}
	if got := flaggerRollbackSecond(tr, 30, 0.02); got != 150 {
		t.Errorf("Flagger-equivalent decides at second %d, want 150 (checks at 30, 90, 150)", got)
	}
	if got := exposed(tr, 100, 100); got != 24 {
		t.Errorf("exposed from onset 100 with decision 100 = %d, want 2 seconds of 12", got)
	}
	if got := exposed(tr, 100, -1); got != 200*12 {
		t.Errorf("an undetected defect is exposed until the horizon: got %d, want %d", got, 200*12)
	}

	// A healthy run never breaches the rate trigger at its calibrated statistic.
	healthy := simulateTraffic(rand.New(rand.NewPCG(1, 2)), 300, -1, 0)
	stat := vigilRateStatistic(healthy)
	if got := newVigilPlan(t, stat).rollbackSecond(healthy); got >= 0 {
		t.Errorf("threshold at the run's own statistic %.4f still rolled back at second %d", stat, got)
	}
	if stat > 0 {
		if got := newVigilPlan(t, stat*0.999).rollbackSecond(healthy); got < 0 {
			t.Errorf("threshold just below the run's statistic %.4f did not roll back", stat)
		}
	}
}
