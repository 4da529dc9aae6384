package policies

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func (d *decoder) decodeBlueGreen(b *hclsyntax.Block, scope *serviceScope) BlueGreenPlan {
	r := d.reader(blockWhere(b), b.Body)
	p := BlueGreenPlan{
		Name:               b.Labels[0],
		Switch:             SwitchInstant,
		PostSwitchWindow:   DefaultPostSwitchWindow,
		FastRollbackWindow: DefaultFastRollbackWindow,
		AckCoverage:        DefaultAckCoverage,
		Range:              b.DefRange(),
	}
	if v, a, ok := r.str("validation", `"golden"`); ok {
		if scope.validationNames[v] {
			p.Validation = v
		} else {
			var names []string
			for n := range scope.validationNames {
				names = append(names, n)
			}
			hint := fmt.Sprintf("declare clinical_validation %q { ... } in this service", v)
			if s := suggest(v, names); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			r.errorf(a.SrcRange, hint, "validation = %q names no clinical_validation block of service %q", v, scope.name)
		}
	}
	switchMode, switchAttr, switchOK := enumAttr(r, "switch", switchModeNames)
	if switchOK {
		p.Switch = switchMode
	}
	postOK, fastOK := true, true
	post, postAttr, ok := r.duration("post_switch_window", "5m")
	if ok && r.checkAtLeastInterval(postAttr, post, scope, "the window must hold at least one evaluation") {
		p.PostSwitchWindow = post
	} else if postAttr != nil {
		postOK = false
	}
	fast, fastAttr, ok := r.duration("fast_rollback_window", "10m")
	if ok {
		p.FastRollbackWindow = fast
	} else if fastAttr != nil {
		fastOK = false
	}
	if postOK && fastOK && p.FastRollbackWindow < p.PostSwitchWindow {
		at := b.DefRange()
		switch {
		case fastAttr != nil:
			at = fastAttr.SrcRange
		case postAttr != nil:
			at = postAttr.SrcRange
		}
		r.errorf(at, "blue must stay warm at least as long as green is watched, so a breach can switch back at once; raise fast_rollback_window",
			"fast_rollback_window %q is shorter than post_switch_window %q", compactDuration(p.FastRollbackWindow), compactDuration(p.PostSwitchWindow))
	}
	if v, _, ok := r.fraction("ack_coverage", true); ok {
		p.AckCoverage = v
	}
	headerBlock := r.singleBlock("header_route")
	gradualBlock := r.singleBlock("gradual")
	notifyBlocks := r.blockList("notify", "")
	r.finish()

	for _, nb := range notifyBlocks {
		p.Notifications = append(p.Notifications, d.decodeNotify(nb, r.where))
	}

	if headerBlock != nil {
		p.HeaderRoute = d.decodeHeaderRoute(headerBlock, r.where)
	}
	switch {
	case gradualBlock != nil && switchOK && p.Switch != SwitchGradual:
		r.errorf(gradualBlock.DefRange(), `set switch = "gradual" or remove the gradual block`, "gradual is only used with switch = \"gradual\"")
	case gradualBlock != nil:
		p.Gradual = d.decodeGradual(gradualBlock, r.where, scope)
	case switchOK && p.Switch == SwitchGradual:
		r.errorf(switchAttr.SrcRange, `add a gradual block with steps = [25, 50, 100] and bake = "30s", or use switch = "instant"`, `switch = "gradual" needs a gradual block`)
	}
	return p
}

func (d *decoder) decodeGradual(b *hclsyntax.Block, parent string, scope *serviceScope) *GradualSwitch {
	r := d.reader(parent+": gradual", b.Body)
	g := &GradualSwitch{Range: b.DefRange()}
	steps, ranges, sa, ok := r.weightList("steps", "[25, 50, 100]")
	if ok {
		g.Steps = steps
		checkGradualSteps(r, sa, steps, ranges)
	}
	r.required(sa, b.DefRange(), "steps", "[25, 50, 100]")
	bake, ba, ok := r.duration("bake", "30s")
	if ok && r.checkAtLeastInterval(ba, bake, scope, "a step must last at least one evaluation") {
		g.Bake = bake
	}
	r.required(ba, b.DefRange(), "bake", `"30s"`)
	r.finish()
	return g
}

// checkGradualSteps: at least one step, each above 0 and above the one before, the last at
// 100.
func checkGradualSteps(r *blockReader, a *hclsyntax.Attribute, steps []BasisPoints, ranges []hcl.Range) {
	if len(steps) == 0 {
		r.errorf(a.SrcRange, "list green's weights, ending at 100, e.g. [25, 50, 100]", "steps is empty")
		return
	}
	for i, w := range steps {
		switch {
		case w == 0:
			r.errorf(ranges[i], "start above 0: green at 0 % is the state before the switch", "steps element %d is 0", i+1)
		case i > 0 && w <= steps[i-1]:
			r.errorf(ranges[i], "order the steps by weight; each must raise green's share",
				"steps element %d (%s) is not above element %d (%s)", i+1, w.Percent(), i, steps[i-1].Percent())
		}
	}
	if last := steps[len(steps)-1]; last != FullWeight {
		r.errorf(ranges[len(steps)-1], "end the steps at 100: the switch is complete when green has all traffic",
			"steps end at %s, not 100", last.Percent())
	}
}
