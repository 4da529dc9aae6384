package stats

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// loadASAH reads testdata/asah.csv, pROC's aSAH data (Turck et al. 2010),
// exported by testdata/oracle/delong.R: outcome ("Poor" is positive), WFNS
// grade and S100B.
func loadASAH(t testing.TB) (wfns, s100b []float64, poor []bool) {
	t.Helper()
	f, err := os.Open("testdata/asah.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 114 || rows[0][0] != "outcome" {
		t.Fatalf("asah.csv: %d rows, header %v; want 113 cases and a header", len(rows), rows[0])
	}
	for i, r := range rows[1:] {
		w, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatalf("asah.csv line %d: wfns: %v", i+2, err)
		}
		s, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			t.Fatalf("asah.csv line %d: s100b: %v", i+2, err)
		}
		switch r[0] {
		case "Poor", "Good":
		default:
			t.Fatalf("asah.csv line %d: outcome %q", i+2, r[0])
		}
		wfns, s100b, poor = append(wfns, w), append(s100b, s), append(poor, r[0] == "Poor")
	}
	return wfns, s100b, poor
}

// Reference values from testdata/oracle/delong.R (pROC 1.18.0, R 4.2.2):
//
//	roc.test(roc(outcome, wfns), roc(outcome, s100b), method = "delong"):
//	  Z = 2.20898359144, p = 0.0271757822292, AUCs 0.823678861789 0.731368563686,
//	  conf.int = [0.0104061769565, 0.174214419249]
//	var(roc(outcome, wfns), method = "delong") = 0.00146991470882
//	var(roc(outcome, s100b), method = "delong") = 0.00266868245717
//	cov(r1, r2, method = "delong") = 0.00119615567377
//	ci.auc(r1, method = "delong") = [0.748534887819, 0.898822835758]
//	ci.auc(r2, method = "delong") = [0.630118211762, 0.83261891561]
//	ci.auc(r2, method = "delong", conf.level = 0.90) = [0.646396589759, 0.816340537613]
func TestDeLongASAH(t *testing.T) {
	wfns, s100b, poor := loadASAH(t)
	// Reference = s100b, candidate = wfns, so Z has pROC's sign.
	res, err := DeLongTest(s100b, wfns, poor, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "Z", res.Z, 2.20898359144, oracleTol)
	checkNear(t, "p", res.PValue, 0.0271757822292, oracleTol)
	checkWithin(t, "Z (published)", res.Z, 2.2089836, 1e-7)
	checkWithin(t, "p (published)", res.PValue, 0.0271758, 1e-7)
	checkNear(t, "AUC wfns", res.Candidate.AUC, 0.823678861789, oracleTol)
	checkNear(t, "AUC s100b", res.Reference.AUC, 0.731368563686, oracleTol)
	checkNear(t, "var wfns", res.Candidate.Variance, 0.00146991470882, oracleTol)
	checkNear(t, "var s100b", res.Reference.Variance, 0.00266868245717, oracleTol)
	checkNear(t, "cov", res.Covariance, 0.00119615567377, oracleTol)
	checkNear(t, "difference lower", res.Interval.Lower, 0.0104061769565, oracleTol)
	checkNear(t, "difference upper", res.Interval.Upper, 0.174214419249, oracleTol)
	if res.Outcome != Pass {
		t.Errorf("outcome %v, want pass: the candidate's AUC is significantly higher (%s)", res.Outcome, res.Reason)
	}

	t.Run("single AUC intervals", func(t *testing.T) {
		for _, tc := range []struct {
			name         string
			scores       []float64
			level        float64
			lower, upper float64
		}{
			{"wfns 95%", wfns, 0.95, 0.748534887819, 0.898822835758},
			{"s100b 95%", s100b, 0.95, 0.630118211762, 0.83261891561},
			{"s100b 90%", s100b, 0.90, 0.646396589759, 0.816340537613},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a, err := DeLongAUC(tc.scores, poor, tc.level)
				if err != nil {
					t.Fatal(err)
				}
				checkNear(t, "lower", a.Interval.Lower, tc.lower, oracleTol)
				checkNear(t, "upper", a.Interval.Upper, tc.upper, oracleTol)
				if a.Positives != 41 || a.Negatives != 72 {
					t.Errorf("classes %d/%d, want 41 poor and 72 good", a.Positives, a.Negatives)
				}
			})
		}
	})
	t.Run("swapping the models mirrors the result", func(t *testing.T) {
		sw, err := DeLongTest(wfns, s100b, poor, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		checkNear(t, "Z", sw.Z, -res.Z, 1e-12)
		checkNear(t, "p", sw.PValue, res.PValue, 1e-12)
		if sw.Outcome != Fail {
			t.Errorf("outcome %v, want fail for the worse candidate", sw.Outcome)
		}
	})
}

// A tied example from testdata/oracle/delong.R:
// roc.test(roc(lab, sa), roc(lab, sb), method = "delong"): Z = -0.176776695297,
// p = 0.859683795199, AUCs 0.82 0.84, var(ra) 0.0198, var(rb) 0.0212.
func TestDeLongTies(t *testing.T) {
	lab := []bool{true, true, true, true, false, false, false, false, false, true}
	sa := []float64{0.9, 0.8, 0.8, 0.3, 0.3, 0.2, 0.8, 0.1, 0.4, 0.6}
	sb := []float64{0.7, 0.7, 0.9, 0.2, 0.5, 0.2, 0.6, 0.3, 0.1, 0.6}
	res, err := DeLongTest(sb, sa, lab, 0.05) // Z = (AUC(sa) - AUC(sb)) / se, as pROC
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "Z", res.Z, -0.176776695297, oracleTol)
	checkNear(t, "p", res.PValue, 0.859683795199, oracleTol)
	checkNear(t, "AUC a", res.Candidate.AUC, 0.82, oracleTol)
	checkNear(t, "AUC b", res.Reference.AUC, 0.84, oracleTol)
	checkNear(t, "var a", res.Candidate.Variance, 0.0198, oracleTol)
	checkNear(t, "var b", res.Reference.Variance, 0.0212, oracleTol)
	if res.Outcome != Inconclusive {
		t.Errorf("outcome %v, want inconclusive", res.Outcome)
	}
}

func TestDeLongUndecidable(t *testing.T) {
	lab := []bool{true, true, false, false}
	tests := []struct {
		name      string
		ref, cand []float64
		labels    []bool
		reason    string
	}{
		{"identical models", []float64{.9, .8, .3, .1}, []float64{.9, .8, .3, .1}, lab, "variance of the AUC difference"},
		{"one positive", []float64{.9, .8, .3, .1}, []float64{.5, .8, .3, .1}, []bool{true, false, false, false}, "at least 2"},
		{"no negatives", []float64{.9, .8}, []float64{.5, .8}, []bool{true, true}, "no negative"},
		{"NaN score", []float64{.9, math.NaN(), .3, .1}, []float64{.5, .8, .3, .1}, lab, "NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := DeLongTest(tc.ref, tc.cand, tc.labels, 0.05)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != Inconclusive || !containsFold(res.Reason, tc.reason) {
				t.Errorf("outcome %v reason %q, want inconclusive mentioning %q", res.Outcome, res.Reason, tc.reason)
			}
		})
	}
}

func TestDeLongInvalidInput(t *testing.T) {
	_, err := DeLongTest([]float64{1, 2}, []float64{1, 2, 3}, []bool{true, false}, 0.05)
	checkInvalid(t, err, "candidate", "delong: len(candidate) 3 != len(positive) 2 (one score per labelled case)")
	_, err = DeLongAUC([]float64{1, 2}, []bool{true}, 0.95)
	checkInvalid(t, err, "positive", "delong-auc: len(positive) 1 != len(scores) 2 (one label per score)")
	_, err = DeLongTest([]float64{1, 2}, []float64{1, 2}, []bool{true, false}, 1)
	checkInvalid(t, err, "alpha", "delong: alpha 1 outside (0, 1)")
}
