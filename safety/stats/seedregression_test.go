package stats

import (
	"math"
	"testing"
)

// wrongSeedMcNemar is the comparison the seed design document calls
// "McNemar", kept here only to show why it must never be used: it takes
// the raw difference of discordant counts as a z statistic, never dividing
// by sqrt(b + c), so its p-value depends only on |b - c| whatever the sample
// size, and abs() followed by an upper tail discards the direction.
func wrongSeedMcNemar(correctControl, correctTreatment int) float64 {
	stat := math.Abs(float64(correctControl - correctTreatment))
	return 1 - normCDF(stat)
}

func TestSeedMcNemarFormulaIsWrong(t *testing.T) {
	// n = 10,000 paired cases, b = 300, c = 303: the two models disagree on
	// 603 cases and split them almost evenly.
	const b, c = 300, 303
	wrong := wrongSeedMcNemar(b, c)
	checkWithin(t, "wrong formula p", wrong, 0.00135, 5e-6)
	if !(wrong < 0.05) {
		t.Fatalf("the wrong formula was expected to call this significant, p = %g", wrong)
	}

	exact, err := McNemarExact(b, c, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	checkWithin(t, "exact McNemar p", exact.PValue, 0.935, 5e-4)
	if exact.Outcome != Inconclusive {
		t.Errorf("exact McNemar outcome %v, want inconclusive (%s)", exact.Outcome, exact.Reason)
	}
	chosen, err := McNemarChoose(b, c, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if chosen.PValue < 0.9 || chosen.Outcome != Inconclusive {
		t.Errorf("McNemarChoose p = %g outcome %v, want p > 0.9 and inconclusive", chosen.PValue, chosen.Outcome)
	}

	t.Run("the wrong formula ignores the sample size", func(t *testing.T) {
		// |b - c| = 3 in 6 discordant pairs or in 60,003: the same "p".
		if wrongSeedMcNemar(0, 3) != wrongSeedMcNemar(30000, 30003) {
			t.Fatal("expected identical wrong p-values")
		}
		small, _ := McNemarExact(0, 3, 0.05)
		large, _ := McNemarExact(30000, 30003, 0.05)
		if !(small.PValue < 0.3 && large.PValue > 0.95) {
			t.Errorf("exact p-values %g and %g should differ by sample size", small.PValue, large.PValue)
		}
	})
	t.Run("the wrong formula loses the direction", func(t *testing.T) {
		// A candidate wrong on 120 more cases than it fixes gets the same
		// "significant" verdict as one that fixes 120 more.
		if wrongSeedMcNemar(500, 380) != wrongSeedMcNemar(380, 500) {
			t.Fatal("expected identical wrong p-values")
		}
		worse, _ := McNemarChoose(500, 380, 0.05)
		better, _ := McNemarChoose(380, 500, 0.05)
		if worse.Outcome != Fail || better.Outcome != Pass {
			t.Errorf("outcomes %v and %v, want fail for the worse candidate and pass for the better", worse.Outcome, better.Outcome)
		}
	})
}
