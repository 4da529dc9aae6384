package policies

import (
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func (d *decoder) decodeJudge(b *hclsyntax.Block) Judge {
	r := d.reader(blockWhere(b), b.Body)
	j := Judge{Name: b.Labels[0], Alpha: DefaultJudgeAlpha, Range: b.DefRange()}
	method, ma, methodOK := enumAttr(r, "method", judgeMethodNames)
	j.Method = method
	r.required(ma, b.DefRange(), "method", `"farrington_manning"`)

	events, ea, _ := r.query("events")
	trials, ta, _ := r.query("trials")
	samples, sa, _ := r.query("samples")
	j.Events, j.Trials, j.Samples = events, trials, samples
	if methodOK {
		if method.UsesRates() {
			r.required(ea, b.DefRange(), "events", `"sum(increase(inference_requests_total{...,outcome=\"error\"}[${interval}]))"`)
			r.required(ta, b.DefRange(), "trials", `"sum(increase(inference_requests_total{...}[${interval}]))"`)
			r.forbid(sa, "samples is used only by method = \"mann_whitney\"")
		} else {
			r.required(sa, b.DefRange(), "samples", `"histogram_quantile(0.9, ...)"`)
			r.forbid(ea, "events is used only by the rate methods, not mann_whitney")
			r.forbid(ta, "trials is used only by the rate methods, not mann_whitney")
		}
	}

	direction, da, directionOK := enumAttr(r, "direction", directionNames)
	j.Direction = direction
	r.required(da, b.DefRange(), "direction", `"increase"`)

	margin, marginAttr, ok := r.number("margin", "0.01")
	if ok && methodOK {
		switch {
		case method == MethodSPRT:
			r.forbid(marginAttr, "sprt tests p0 against p1 and has no margin")
		case margin < 0:
			r.errorf(marginAttr.SrcRange, "use 0 or more", "margin = %s is negative", formatNumber(margin))
		case method.UsesRates() && margin >= 1:
			r.errorf(marginAttr.SrcRange, "the margin is a difference of rates: use a value in [0, 1), e.g. 0.01", "margin = %s is not below 1", formatNumber(margin))
		default:
			j.Margin = margin
		}
	}
	if v, _, ok := r.fraction("alpha", false); ok {
		j.Alpha = v
	}
	j.Confidence = DefaultJudgeConfidence
	if methodOK && method == MethodMannWhitney {
		j.Confidence = DefaultMannWhitneyConfidence
	}
	if v, _, ok := r.fraction("confidence", false); ok {
		j.Confidence = v
	}

	p0, p0a, p0ok := r.fraction("p0", false)
	p1, p1a, p1ok := r.fraction("p1", false)
	beta, betaAttr, _ := r.fraction("beta", false)
	if methodOK && method == MethodSPRT {
		r.required(p0a, b.DefRange(), "p0", "0.01")
		r.required(p1a, b.DefRange(), "p1", "0.05")
		r.required(betaAttr, b.DefRange(), "beta", "0.2")
		j.P0, j.P1, j.Beta = p0, p1, beta
		if p0ok && p1ok && directionOK {
			d.checkSPRTDirection(r, direction, da, p1a, p0, p1)
		}
	} else if methodOK {
		why := fmt.Sprintf("p0, p1 and beta are used only by method = \"sprt\", not %q", method)
		r.forbid(p0a, why)
		r.forbid(p1a, why)
		r.forbid(betaAttr, why)
	}

	n, na, ok := r.whole("min_samples", 1, math.MaxInt64, "200")
	if ok {
		j.MinSamples = n
	}
	r.required(na, b.DefRange(), "min_samples", "200")
	if v, _, ok := r.boolean("critical"); ok {
		j.Critical = v
	}
	r.finish()
	return j
}

// checkSPRTDirection: Wald's test looks for a move from p0 to p1, which must agree with the
// direction that is bad.
func (d *decoder) checkSPRTDirection(r *blockReader, dir Direction, da, p1a *hclsyntax.Attribute, p0, p1 float64) {
	switch {
	case dir == DirectionEither:
		r.errorf(da.SrcRange, "sprt tests one direction: use \"increase\" (p1 > p0) or \"decrease\" (p1 < p0)",
			"direction = \"either\" cannot be used with method = \"sprt\"")
	case dir == DirectionIncrease && p1 <= p0:
		r.errorf(p1a.SrcRange, "with direction = \"increase\" the alternative rate p1 must be above p0",
			"p1 = %s is not above p0 = %s", formatNumber(p1), formatNumber(p0))
	case dir == DirectionDecrease && p1 >= p0:
		r.errorf(p1a.SrcRange, "with direction = \"decrease\" the alternative rate p1 must be below p0",
			"p1 = %s is not below p0 = %s", formatNumber(p1), formatNumber(p0))
	}
}
