package policies

import (
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// defaultAppliesTo is the versions a trigger watches unless it says otherwise: the new one.
var defaultAppliesTo = []Target{TargetCanary, TargetGreen}

func (d *decoder) decodeTrigger(b *hclsyntax.Block, scope *serviceScope) Trigger {
	r := d.reader(blockWhere(b), b.Body)
	t := Trigger{
		Name:        b.Labels[0],
		Consecutive: 1,
		OnNoData:    NoDataHold,
		AppliesTo:   append([]Target(nil), defaultAppliesTo...),
		Range:       b.DefRange(),
	}
	category, ca, categoryOK := enumAttr(r, "category", categoryNames)
	t.Category = category
	r.required(ca, b.DefRange(), "category", `"critical_safety"`)

	q, qa, _ := r.query("query")
	t.Query = q
	r.required(qa, b.DefRange(), "query", `"sum(rate(...))"`)

	condition, conda, conditionOK := enumAttr(r, "condition", conditionNames)
	t.Condition = condition
	r.required(conda, b.DefRange(), "condition", `"above"`)

	threshold, ta, ok := r.number("threshold", "0.1")
	if ok {
		t.Threshold = &threshold
	}
	if v, fa, ok := r.duration("for", "0s"); ok {
		if v != 0 && v < scope.evaluationInterval {
			r.errorf(fa.SrcRange, fmt.Sprintf("use 0s (immediate) or at least %s", compactDuration(scope.evaluationInterval)),
				"for = %q is shorter than evaluation_interval %q", compactDuration(v), compactDuration(scope.evaluationInterval))
		} else {
			t.For = v
		}
	}
	if v, _, ok := r.whole("consecutive", 1, math.MaxUint32, "3"); ok {
		t.Consecutive = uint32(v)
	}
	action, aa, actionOK := enumAttr(r, "action", actionNames)
	t.Action = action
	r.required(aa, b.DefRange(), "action", `"rollback_immediately"`)

	warning, wa, warningOK := r.duration("warning_period", "2m")
	if actionOK {
		switch {
		case action == ActionRollbackAfterWarning && wa == nil:
			r.errorf(aa.SrcRange, "add warning_period = \"2m\": the time between the warning and the rollback",
				"action = %q needs warning_period", action)
		case action == ActionRollbackAfterWarning && warningOK && warning == 0:
			r.errorf(wa.SrcRange, "use a positive duration, or action = \"rollback_immediately\"", "warning_period must be longer than 0s")
		case action == ActionRollbackAfterWarning && warningOK:
			t.WarningPeriod = warning
		case action != ActionRollbackAfterWarning && wa != nil:
			r.errorf(wa.SrcRange, "remove warning_period, or use action = \"rollback_after_warning\"",
				"warning_period is only used with action = \"rollback_after_warning\", not %q", action)
		}
	}
	if v, _, ok := enumAttr(r, "on_no_data", noDataNames); ok {
		t.OnNoData = v
	}
	if v, aa, ok := enumList(r, "applies_to", targetNames); ok {
		if len(v) == 0 {
			r.errorf(aa.SrcRange, "list the versions to watch: "+targetNames.choices(), "applies_to is empty")
		} else {
			t.AppliesTo = v
		}
	}

	baselineBlock := r.singleBlock("baseline")
	minSamplesBlock := r.singleBlock("min_samples")
	r.finish()

	switch {
	case ta != nil && baselineBlock != nil:
		r.errorf(baselineBlock.DefRange(), "keep threshold for a fixed bound, or the baseline block to compare with the baseline version",
			"threshold and a baseline block are both set")
	case ta == nil && baselineBlock == nil:
		r.errorf(b.DefRange(), "add threshold = <number>, or a baseline { ratio = ... } block to compare with the baseline version",
			"trigger has neither threshold nor baseline")
	case baselineBlock != nil:
		t.Baseline = d.decodeBaselineComparison(baselineBlock, r.where, condition, conditionOK)
	}
	if minSamplesBlock != nil {
		t.MinSamples = d.decodeMinSamples(minSamplesBlock, r.where)
	}
	if categoryOK && actionOK && (category == CategoryCriticalSafety || category == CategoryComplianceViolation) && action != ActionRollbackImmediately {
		d.add(warningAt(aa.SrcRange, fmt.Sprintf("%s: a %s trigger with action = %q", r.where, category, action),
			"Vigil's rollback table rolls back at once on critical safety and compliance triggers; use action = \"rollback_immediately\" unless this is deliberate"))
	}
	return t
}

func (d *decoder) decodeBaselineComparison(b *hclsyntax.Block, parent string, condition Condition, conditionOK bool) *BaselineComparison {
	r := d.reader(parent+": baseline", b.Body)
	c := &BaselineComparison{Ratio: 1, Range: b.DefRange()}
	ratio, ra, ok := r.number("ratio", "1.5")
	if ok {
		switch {
		case ratio <= 0:
			r.errorf(ra.SrcRange, "use a positive ratio, e.g. 1.5 (50 % worse than the baseline)", "ratio = %s is not positive", formatNumber(ratio))
		case conditionOK && condition == ConditionAbove && ratio < 1:
			r.errorf(ra.SrcRange, "with condition = \"above\" use a ratio of 1 or more; a ratio below 1 would fire while the candidate is better than the baseline",
				"ratio = %s is below 1", formatNumber(ratio))
		case conditionOK && condition == ConditionBelow && ratio > 1:
			r.errorf(ra.SrcRange, "with condition = \"below\" use a ratio of at most 1; a ratio above 1 would fire while the candidate is better than the baseline",
				"ratio = %s is above 1", formatNumber(ratio))
		default:
			c.Ratio = ratio
		}
	}
	delta, da, ok := r.number("delta", "0.01")
	if ok {
		if delta < 0 {
			r.errorf(da.SrcRange, "delta is an absolute difference: use 0 or more", "delta = %s is negative", formatNumber(delta))
		} else {
			c.Delta = delta
		}
	}
	if ra == nil && da == nil {
		r.errorf(b.DefRange(), "add ratio = 1.5 and/or delta = 0.01: without them any difference from the baseline would fire",
			"baseline block sets neither ratio nor delta")
	}
	r.finish()
	return c
}

func (d *decoder) decodeMinSamples(b *hclsyntax.Block, parent string) *MinSamples {
	r := d.reader(parent+": min_samples", b.Body)
	m := &MinSamples{Range: b.DefRange()}
	q, qa, _ := r.query("query")
	m.Query = q
	r.required(qa, b.DefRange(), "query", `"sum(increase(inference_requests_total{...}[1m]))"`)
	n, na, ok := r.whole("count", 1, math.MaxInt64, "50")
	if ok {
		m.Count = n
	}
	r.required(na, b.DefRange(), "count", "50")
	r.finish()
	return m
}
