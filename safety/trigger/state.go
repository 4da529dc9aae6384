package trigger

import (
	"fmt"
	"slices"
)

// State is where a trigger is in its cycle for one subject.
type State uint8

const (
	// StateInactive: never evaluated, or the last measured evaluation did not breach. The
	// zero value.
	StateInactive State = iota
	// StatePending: the condition holds, but not yet for the trigger's `for` duration and
	// `consecutive` count.
	StatePending
	// StateFiring: the condition has held long enough; the trigger's action applies.
	StateFiring
)

var stateNames = []string{StateInactive: "inactive", StatePending: "pending", StateFiring: "firing"}

// String returns "inactive", "pending" or "firing".
func (s State) String() string { return enumName(stateNames, "State", s) }

// MarshalText encodes the state as String does; an unknown state is an error.
func (s State) MarshalText() ([]byte, error) { return marshalEnum(stateNames, "state", s) }

// UnmarshalText decodes what MarshalText produced.
func (s *State) UnmarshalText(b []byte) error { return unmarshalEnum(stateNames, "state", b, s) }

// VerdictKind is the result of one evaluation of one trigger. The zero value is not a
// verdict, so an unset Verdict is never read as healthy.
type VerdictKind uint8

const (
	// VerdictHealthy: the value was measured and the condition does not hold.
	VerdictHealthy VerdictKind = iota + 1
	// VerdictPending: the condition holds, but the trigger does not fire yet.
	VerdictPending
	// VerdictBreached: the trigger fires; the controller carries out its action.
	VerdictBreached
	// VerdictNoData: there was nothing to judge. What it counts as is the trigger's
	// on_no_data: hold (the rollout does not advance), or ignore (Verdict.Ignored). With
	// on_no_data = "fail" a no-data evaluation is a breach and its verdict is
	// VerdictPending or VerdictBreached instead.
	VerdictNoData
	// VerdictError: the measurement failed (a query error, a result of the wrong shape,
	// Prometheus unreachable); the evaluation proves nothing.
	VerdictError
)

var verdictNames = []string{"", "healthy", "pending", "breached", "no_data", "error"}

// String returns "healthy", "pending", "breached", "no_data" or "error".
func (k VerdictKind) String() string { return enumName(verdictNames, "VerdictKind", k) }

// MarshalText encodes the kind as String does; the zero value and unknown kinds are errors.
func (k VerdictKind) MarshalText() ([]byte, error) {
	return marshalEnum(verdictNames, "verdict kind", k)
}

// UnmarshalText decodes what MarshalText produced.
func (k *VerdictKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(verdictNames, "verdict kind", b, k)
}

// enumName returns names[v], or "Kind(v)" for a value without a name.
func enumName[T ~uint8](names []string, kind string, v T) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, uint8(v))
}

func marshalEnum[T ~uint8](names []string, what string, v T) ([]byte, error) {
	if int(v) >= len(names) || names[v] == "" {
		return nil, fmt.Errorf("trigger: cannot encode unknown %s %d", what, uint8(v))
	}
	return []byte(names[v]), nil
}

func unmarshalEnum[T ~uint8](names []string, what string, b []byte, v *T) error {
	i := slices.Index(names, string(b))
	if i < 0 || len(b) == 0 {
		return fmt.Errorf("trigger: unknown %s %q; want one of %q", what, b, slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == "" }))
	}
	*v = T(i)
	return nil
}
