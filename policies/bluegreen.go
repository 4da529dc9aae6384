package policies

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Defaults of a blue_green block.
const (
	DefaultPostSwitchWindow   = 5 * time.Minute
	DefaultFastRollbackWindow = 10 * time.Minute
)

// DefaultValidationHeader is the header the controller uses to pin validation traffic to
// the green version when a blue_green plan declares no header_route: requests carrying
// "x-vigil-version: <green version>" reach green.
const DefaultValidationHeader = "x-vigil-version"

// BlueGreenPlan brings up the new version (green) beside the serving one (blue), validates
// green before it gets any traffic, switches, and keeps blue warm for a fast way back.
type BlueGreenPlan struct {
	Name string
	// Validation names a clinical_validation block of the same service run against green
	// through HeaderRoute before any traffic moves; "" for none.
	Validation string
	// HeaderRoute pins validation requests to green; nil means DefaultValidationHeader with
	// the green version as value.
	HeaderRoute *HeaderRoute
	Switch      SwitchMode
	// Gradual is set exactly when Switch is SwitchGradual.
	Gradual *GradualSwitch
	// PostSwitchWindow is how long green is watched after the switch completes; a trigger
	// breach within it switches back to blue.
	PostSwitchWindow time.Duration
	// FastRollbackWindow is how long blue stays ready to take the traffic back; at least
	// PostSwitchWindow.
	FastRollbackWindow time.Duration
	// AckCoverage is the fraction (0, 1] of connected proxies that must ACK the switch.
	AckCoverage float64
	// Notifications receive rollout events, in source order.
	Notifications []Notification
	Range         hcl.Range
}

func (b *BlueGreenPlan) PlanName() string   { return b.Name }
func (b *BlueGreenPlan) PlanKind() PlanKind { return PlanBlueGreen }
func (b *BlueGreenPlan) PlanNotifications() []Notification {
	return b.Notifications
}
func (b *BlueGreenPlan) DefRange() hcl.Range {
	return b.Range
}

// SwitchMode is how traffic moves from blue to green.
type SwitchMode uint8

const (
	// SwitchInstant moves all traffic in one route change.
	SwitchInstant SwitchMode = iota + 1
	// SwitchGradual moves it in the steps of a gradual block.
	SwitchGradual
)

var switchModeNames = enumSpec[SwitchMode]{kind: "SwitchMode", names: []string{"", "instant", "gradual"}}

func (m SwitchMode) String() string { return switchModeNames.name(m) }

// GradualSwitch is the step schedule of a gradual switch.
type GradualSwitch struct {
	// Steps are green's weights in basis points, strictly increasing, ending at 10000.
	Steps []BasisPoints
	// Bake is the time at each step, at least the evaluation interval.
	Bake  time.Duration
	Range hcl.Range
}
