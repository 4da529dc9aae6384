package clinical

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestFloatJSON(t *testing.T) {
	for _, tc := range []struct {
		in   Float
		want string
	}{
		{0.95, "0.95"}, {0, "0"}, {-0.0621, "-0.0621"}, {1e-9, "1e-09"},
		{Float(math.NaN()), "null"}, {Float(math.Inf(1)), "null"}, {Float(math.Inf(-1)), "null"},
	} {
		b, err := json.Marshal(tc.in)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", float64(tc.in), b, err, tc.want)
		}
		var back Float
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if tc.in.Defined() != back.Defined() || (tc.in.Defined() && back != tc.in) {
			t.Errorf("round trip of %v gave %v", float64(tc.in), float64(back))
		}
	}
	var f Float
	if err := json.Unmarshal([]byte(`"0.5"`), &f); err == nil {
		t.Error("a JSON string decoded as a statistic")
	}
}

// A result full of undefined statistics (no positive cases, every call failed) still
// encodes, with null where a statistic is undefined, and decodes back to the same record.
func TestResultJSONWithUndefinedStatistics(t *testing.T) {
	ds := balancedDataset(0, 30)
	cand, comp := perfectAnswers(ds, candVersion), perfectAnswers(ds, compVersion)
	for i := range cand.Cases {
		cand.Cases[i] = failed(FailureTimeout)
	}
	spec := specRequiring(t, "sensitivity.lower >= 0.9", "auc_noninferior(0.05)", "mcnemar_not_worse(0.05)", "noninferior(sensitivity, 0.05)")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp, MaxFailureFraction: DefaultMaxFailureFraction})
	res.PolicyHash = "sha256:feed"
	res.Timing = timing(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), 30, 2)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	for _, want := range []string{
		`"verdict":"INCONCLUSIVE"`,
		`"sensitivity":{"successes":0,"trials":0,"estimate":null,"lower":null,"upper":null,"level":0.95,"method":"wilson","note":"no positive cases"}`,
		`"failures_by_code":{"DeadlineExceeded":30}`,
		`"auc_difference":{"candidate":null,"comparator":null,"difference":null`,
		`"calls_per_second":null`,
		`"started_at":"2026-01-02T03:04:05Z"`,
		`"criteria_hash":"sha256:`,
		`"outcome":"inconclusive"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	again, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Errorf("JSON does not round-trip:\n%s\n%s", b, again)
	}
	if back.Verdict != Inconclusive || back.Candidate.Metrics.Sensitivity.Estimate.Defined() || back.Criteria[0].Outcome != OutcomeInconclusive {
		t.Errorf("decoded %+v", back)
	}
}

func TestEnumsText(t *testing.T) {
	for _, v := range []Verdict{Passed, Failed, Inconclusive} {
		b, err := v.MarshalText()
		var back Verdict
		if err != nil || back.UnmarshalText(b) != nil || back != v {
			t.Errorf("verdict %v: %s %v -> %v", v, b, err, back)
		}
	}
	if _, err := Verdict(0).MarshalText(); err == nil {
		t.Error("the zero verdict encoded")
	}
	var v Verdict
	if err := v.UnmarshalText([]byte("passed")); err == nil || !strings.Contains(err.Error(), "want PASSED, FAILED or INCONCLUSIVE") {
		t.Errorf("lower-case verdict: %v", err)
	}
	for _, o := range []Outcome{OutcomeInconclusive, OutcomePass, OutcomeFail} {
		b, err := o.MarshalText()
		var back Outcome
		if err != nil || back.UnmarshalText(b) != nil || back != o {
			t.Errorf("outcome %v: %s %v -> %v", o, b, err, back)
		}
	}
}
