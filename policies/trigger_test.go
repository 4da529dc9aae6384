package policies

import "testing"

func TestTriggerBreached(t *testing.T) {
	threshold := 0.1
	fixedAbove := Trigger{Condition: ConditionAbove, Threshold: &threshold}
	fixedBelow := Trigger{Condition: ConditionBelow, Threshold: &threshold}
	relAbove := Trigger{Condition: ConditionAbove, Baseline: &BaselineComparison{Ratio: 1.5, Delta: 0.01}}
	relBelow := Trigger{Condition: ConditionBelow, Baseline: &BaselineComparison{Ratio: 0.9, Delta: 0.02}}
	tests := []struct {
		name            string
		trigger         Trigger
		value, baseline float64
		want            bool
	}{
		{"above: over the threshold", fixedAbove, 0.11, 0, true},
		{"above: at the threshold is not a breach", fixedAbove, 0.1, 0, false},
		{"below: under the threshold", fixedBelow, 0.09, 0, true},
		{"below: at the threshold is not a breach", fixedBelow, 0.1, 0, false},
		{"baseline above: ratio and delta exceeded", relAbove, 0.05, 0.02, true},
		{"baseline above: ratio exceeded, delta not", relAbove, 0.004, 0.002, false},
		{"baseline above: delta exceeded, ratio not", relAbove, 0.14, 0.10, false},
		{"baseline above: zero baseline, candidate errors beyond delta", relAbove, 0.02, 0, true},
		{"baseline below: both exceeded", relBelow, 0.80, 0.95, true},
		{"baseline below: within the ratio", relBelow, 0.90, 0.95, false},
		{"baseline below: ratio exceeded, delta not", relBelow, 0.085, 0.1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.trigger.Breached(tt.value, tt.baseline); got != tt.want {
				t.Fatalf("Breached(%v, %v) = %v, want %v", tt.value, tt.baseline, got, tt.want)
			}
		})
	}
}
