package policies

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func (d *decoder) decodeCanary(b *hclsyntax.Block, scope *serviceScope) CanaryPlan {
	r := d.reader(blockWhere(b), b.Body)
	c := CanaryPlan{
		Name:             b.Labels[0],
		InitialWeight:    DefaultInitialWeight,
		MaxWeight:        DefaultMaxWeight,
		AckCoverage:      DefaultAckCoverage,
		Limits:           AnalysisLimits{Failed: DefaultFailedLimit, Errors: DefaultErrorsLimit, Inconclusive: DefaultInconclusiveLimit},
		ProgressDeadline: DefaultProgressDeadline,
		Range:            b.DefRange(),
	}
	if v, _, ok := r.weight("initial_weight"); ok {
		c.InitialWeight = v
	}
	maxValid := true
	maxW, maxAttr, ok := r.weight("max_weight")
	if ok {
		c.MaxWeight = maxW
	} else if maxAttr != nil {
		maxValid = false
	}
	if maxValid && c.InitialWeight > c.MaxWeight {
		at := b.DefRange()
		if a := b.Body.Attributes["initial_weight"]; a != nil {
			at = a.SrcRange
		}
		r.errorf(at, "lower initial_weight or raise max_weight", "initial_weight %s is above max_weight %s", c.InitialWeight.Percent(), c.MaxWeight.Percent())
	}
	if v, _, ok := r.boolean("confirm_before_start"); ok {
		c.ConfirmBeforeStart = v
	}
	if v, _, ok := r.boolean("confirm_before_promotion"); ok {
		c.ConfirmBeforePromotion = v
	}
	if v, _, ok := r.fraction("ack_coverage", true); ok {
		c.AckCoverage = v
	}
	if v, a, ok := r.duration("progress_deadline", "10m"); ok {
		if v == 0 {
			r.errorf(a.SrcRange, "use a positive duration such as \"10m\"", "progress_deadline must be longer than 0s")
		} else {
			c.ProgressDeadline = v
		}
	}
	if v, _, ok := r.duration("rollback_window", "24h"); ok {
		c.RollbackWindow = v
	}

	stepBlocks := r.blockList("step", "")
	headerBlock := r.singleBlock("header_route")
	limitsBlock := r.singleBlock("limits")
	gateBlocks := r.blockList("gate", "name")
	notifyBlocks := r.blockList("notify", "")
	r.finish()

	for i, sb := range stepBlocks {
		c.Steps = append(c.Steps, d.decodeStep(sb, i+1, r.where, scope))
	}
	if len(stepBlocks) == 0 {
		r.errorf(b.DefRange(), `add step blocks, each with weight (e.g. 25) and bake (e.g. "1m") on lines of their own`,
			"canary plan has no steps")
	}
	d.checkStepOrder(r, c, stepBlocks, maxValid)

	if headerBlock != nil {
		c.HeaderRoute = d.decodeHeaderRoute(headerBlock, r.where)
	}
	if limitsBlock != nil {
		c.Limits = d.decodeLimits(limitsBlock, r.where)
	}
	d.uniqueLabels(gateBlocks, "gate")
	for _, gb := range gateBlocks {
		c.Gates = append(c.Gates, d.decodeGate(gb, r.where))
	}
	for _, nb := range notifyBlocks {
		c.Notifications = append(c.Notifications, d.decodeNotify(nb, r.where))
	}
	return c
}

func (d *decoder) decodeStep(b *hclsyntax.Block, n int, parent string, scope *serviceScope) CanaryStep {
	r := d.reader(fmt.Sprintf("%s: step %d", parent, n), b.Body)
	s := CanaryStep{Range: b.DefRange()}
	w, wa, ok := r.weight("weight")
	if ok {
		s.Weight = w
		if w == 0 {
			r.errorf(wa.SrcRange, "use a weight above 0; testers reach a version without traffic through header_route",
				"weight = 0 sends the canary no traffic")
		}
	}
	r.required(wa, b.DefRange(), "weight", "25")
	bake, ba, ok := r.duration("bake", "1m")
	if ok && r.checkAtLeastInterval(ba, bake, scope, "a step must last at least one evaluation") {
		s.Bake = bake
	}
	r.required(ba, b.DefRange(), "bake", `"1m"`)
	names, ranges, _, ok := r.stringList("analysis", `["error_rate_vs_baseline"]`)
	if ok {
		for i, name := range names {
			if !scope.judgeNames[name] {
				r.errorf(ranges[i], judgeHint(name, scope), "analysis names %q, which is not a judge of service %q", name, scope.name)
				continue
			}
			if contains(s.Analysis, name) {
				r.errorf(ranges[i], "list each judge once", "analysis lists %q twice", name)
				continue
			}
			s.Analysis = append(s.Analysis, name)
		}
	}
	if v, _, ok := r.boolean("confirm"); ok {
		s.Confirm = v
	}
	r.finish()
	return s
}

func judgeHint(name string, scope *serviceScope) string {
	var names []string
	for n := range scope.judgeNames {
		names = append(names, n)
	}
	if s := suggest(name, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Sprintf("declare judge %q { ... } in this service or remove it from analysis", name)
}

// checkStepOrder: the first step is at least initial_weight, weights strictly increase and
// none exceeds max_weight. When initial_weight is above max_weight (reported already) no
// step can satisfy both, so only max_weight is checked.
func (d *decoder) checkStepOrder(r *blockReader, c CanaryPlan, blocks []*hclsyntax.Block, maxValid bool) {
	if len(c.Steps) != len(blocks) {
		return
	}
	for i, s := range c.Steps {
		a := blocks[i].Body.Attributes["weight"]
		if a == nil || s.Weight == 0 {
			continue
		}
		where := fmt.Sprintf("step %d", i+1)
		switch {
		case i == 0 && s.Weight < c.InitialWeight && c.InitialWeight <= c.MaxWeight:
			r.errorf(a.SrcRange, "start the steps at initial_weight or above, or lower initial_weight",
				"%s weight %s is below initial_weight %s", where, s.Weight.Percent(), c.InitialWeight.Percent())
		case i > 0 && c.Steps[i-1].Weight != 0 && s.Weight <= c.Steps[i-1].Weight:
			r.errorf(a.SrcRange, "order the steps by weight; each step must raise the canary's weight",
				"%s weight %s is not above step %d weight %s", where, s.Weight.Percent(), i, c.Steps[i-1].Weight.Percent())
		}
		if maxValid && s.Weight > c.MaxWeight {
			r.errorf(a.SrcRange, "lower the step or raise max_weight; promotion takes the canary the rest of the way",
				"%s weight %s is above max_weight %s", where, s.Weight.Percent(), c.MaxWeight.Percent())
		}
	}
}

// headerNamePattern is an HTTP header name in lowercase (HTTP/2 and Envoy match them so).
var headerNamePattern = regexp.MustCompile("^[a-z0-9!#$%&'*+.^_`|~-]+$")

func (d *decoder) decodeHeaderRoute(b *hclsyntax.Block, parent string) *HeaderRoute {
	r := d.reader(parent+": header_route", b.Body)
	h := &HeaderRoute{Range: b.DefRange()}
	name, na, ok := r.str("header", `"x-canary"`)
	if ok {
		if !headerNamePattern.MatchString(name) {
			r.errorf(na.SrcRange, "use a lowercase HTTP header name such as \"x-canary\"", "header = %q is not a lowercase HTTP header name", name)
		} else {
			h.Header = name
		}
	}
	r.required(na, b.DefRange(), "header", `"x-canary"`)
	value, va, ok := r.str("value", `"true"`)
	if ok {
		if value == "" {
			r.errorf(va.SrcRange, "use a value testers will send, e.g. \"true\"", "value is empty")
		} else {
			h.Value = value
		}
	}
	r.required(va, b.DefRange(), "value", `"true"`)
	r.finish()
	return h
}

func (d *decoder) decodeLimits(b *hclsyntax.Block, parent string) AnalysisLimits {
	r := d.reader(parent+": limits", b.Body)
	l := AnalysisLimits{Failed: DefaultFailedLimit, Errors: DefaultErrorsLimit, Inconclusive: DefaultInconclusiveLimit, Range: b.DefRange()}
	const most = 1000
	if v, _, ok := r.whole("failed", 0, most, "0"); ok {
		l.Failed = uint32(v)
	}
	if v, _, ok := r.whole("errors", 0, most, "4"); ok {
		l.Errors = uint32(v)
	}
	if v, _, ok := r.whole("inconclusive", 0, most, "0"); ok {
		l.Inconclusive = uint32(v)
	}
	r.finish()
	return l
}

func (d *decoder) decodeGate(b *hclsyntax.Block, parent string) Gate {
	r := d.reader(fmt.Sprintf("%s: %s", parent, blockWhere(b)), b.Body)
	g := Gate{Name: b.Labels[0], Timeout: DefaultGateTimeout, Range: b.DefRange()}
	u, ua, ok := r.str("url", `"https://change-board.example/approve"`)
	if ok && r.checkWebhookURL(ua, u) {
		g.URL = u
	}
	r.required(ua, b.DefRange(), "url", `"https://change-board.example/approve"`)
	if v, a, ok := r.duration("timeout", "30s"); ok {
		if v == 0 {
			r.errorf(a.SrcRange, "use a positive duration such as \"30s\"", "timeout must be longer than 0s")
		} else {
			g.Timeout = v
		}
	}
	at, aa, ok := enumList(r, "at", gatePositionNames)
	if ok {
		if len(at) == 0 {
			r.errorf(aa.SrcRange, "use one or more of "+gatePositionNames.choices(), "at is empty")
		}
		g.At = at
	}
	r.required(aa, b.DefRange(), "at", `["before_promotion"]`)
	r.finish()
	return g
}

func (d *decoder) decodeNotify(b *hclsyntax.Block, parent string) Notification {
	r := d.reader(parent+": notify", b.Body)
	n := Notification{Format: NotifyJSON, Range: b.DefRange()}
	u, ua, ok := r.str("url", `"https://hooks.slack.com/services/..."`)
	if ok && r.checkWebhookURL(ua, u) {
		n.URL = u
	}
	r.required(ua, b.DefRange(), "url", `"https://hooks.slack.com/services/..."`)
	if v, _, ok := enumAttr(r, "format", notifyFormatNames); ok {
		n.Format = v
	}
	if v, _, ok := enumList(r, "events", notifyEventNames); ok {
		n.Events = v
	}
	r.finish()
	return n
}

// checkWebhookURL accepts an absolute http or https URL with a host.
func (r *blockReader) checkWebhookURL(a *hclsyntax.Attribute, s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.errorf(a.SrcRange, "use an absolute http:// or https:// URL", "url = %q is not an http(s) URL", s)
		return false
	}
	return true
}
