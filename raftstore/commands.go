package raftstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// CommandType is the first byte of every log entry Vigil writes; it selects the applier.
// Values are persisted in logs and snapshots: never renumber, only append.
type CommandType uint8

const (
	CmdRegisterService   CommandType = 1
	CmdDeregisterService CommandType = 2
	CmdUpsertVersion     CommandType = 3
	CmdRemoveVersion     CommandType = 4
	CmdSetRoutes         CommandType = 5
	CmdRegisterMember    CommandType = 6
	CmdRemoveMember      CommandType = 7
	CmdApplyPolicy       CommandType = 8
	CmdDeletePolicy      CommandType = 9
	CmdStartRollout      CommandType = 10
	CmdUpdateRollout     CommandType = 11
	CmdRolloutCommand    CommandType = 12
	CmdStartValidation   CommandType = 13
	CmdFinishValidation  CommandType = 14
	CmdUpdateMonitor     CommandType = 15
)

var commandNames = map[CommandType]string{
	CmdRegisterService:   "register-service",
	CmdDeregisterService: "deregister-service",
	CmdUpsertVersion:     "upsert-version",
	CmdRemoveVersion:     "remove-version",
	CmdSetRoutes:         "set-routes",
	CmdRegisterMember:    "register-member",
	CmdRemoveMember:      "remove-member",
	CmdApplyPolicy:       "apply-policy",
	CmdDeletePolicy:      "delete-policy",
	CmdStartRollout:      "start-rollout",
	CmdUpdateRollout:     "update-rollout",
	CmdRolloutCommand:    "rollout-command",
	CmdStartValidation:   "start-validation",
	CmdFinishValidation:  "finish-validation",
	CmdUpdateMonitor:     "update-monitor",
}

func (t CommandType) String() string {
	if n, ok := commandNames[t]; ok {
		return n
	}
	return fmt.Sprintf("CommandType(%d)", uint8(t))
}

// Header travels with every command. Apply reads no clock, randomness or network: the
// proposer stamps the time and names the actor here, so every replica applies the same.
type Header struct {
	// Time is when the change was proposed (UTC).
	Time time.Time `json:"time"`
	// Actor is who asked: a user name, or "controller" for automated decisions.
	Actor string `json:"actor"`
	// Reason is free text recorded in the audit log.
	Reason string `json:"reason,omitempty"`
	// CAS, when set, is the ModifyIndex the target record must have (0: it must not exist);
	// otherwise the write is refused with a conflict and nothing changes.
	CAS *uint64 `json:"cas,omitempty"`
}

// Command is a typed change proposed to the replicated state.
type Command struct {
	Type   CommandType
	Header Header
	// Body is the command's payload: one of the *Body types of this file.
	Body any
}

// RegisterServiceBody creates or updates a service's settings.
type RegisterServiceBody struct {
	Service router.Service `json:"service"`
}

// DeregisterServiceBody removes a service that has no versions left.
type DeregisterServiceBody struct {
	Name string `json:"name"`
}

// UpsertVersionBody registers a model version or replaces its backends. The service is
// created with default settings if it does not exist.
type UpsertVersionBody struct {
	Version router.ModelVersion `json:"version"`
}

// RemoveVersionBody removes a version that no route sends traffic to.
type RemoveVersionBody struct {
	Service string         `json:"service"`
	Version router.Version `json:"version"`
}

// SetRoutesBody replaces a service's route table.
type SetRoutesBody struct {
	Routes router.RouteTable `json:"routes"`
}

// RegisterMemberBody records a node's addresses.
type RegisterMemberBody struct {
	Member api.Member `json:"member"`
}

// RemoveMemberBody forgets a node.
type RemoveMemberBody struct {
	ID string `json:"id"`
}

// ApplyPolicyBody stores a new version of a policy file. The FSM parses and validates it
// again; a policy that does not parse, or that governs a service another policy governs,
// is refused.
type ApplyPolicyBody struct {
	Name     string            `json:"name"`
	Filename string            `json:"filename"`
	Source   string            `json:"source"`
	Vars     map[string]string `json:"vars,omitempty"`
	// Datasets are the clinical validation data sets the policy names, by the path as
	// written in the policy; a dataset_sha256 pin must match.
	Datasets map[string][]byte `json:"datasets,omitempty"`
}

// DeletePolicyBody removes a policy (its history stays).
type DeletePolicyBody struct {
	Name string `json:"name"`
}

// StartRolloutBody starts a rollout. The FSM refuses it when the service has an active
// rollout, when a version is unknown, or when the stable version does not carry all the
// weighted traffic.
type StartRolloutBody struct {
	Rollout api.RolloutRecord `json:"rollout"`
}

// UpdateRolloutBody commits a rollout transition, and the route change it makes, in one
// entry: the status (whose RoutesIndex the FSM sets to this entry's index when Routes is
// set), the route table, the number of pending operator commands consumed, the latest
// trigger verdicts and new timeline events. Header.CAS must be the rollout's ModifyIndex.
type UpdateRolloutBody struct {
	ID       string              `json:"id"`
	Status   rollout.Status      `json:"status"`
	Routes   *router.RouteTable  `json:"routes,omitempty"`
	Consumed int                 `json:"consumed,omitempty"`
	Triggers []api.TriggerStatus `json:"triggers,omitempty"`
	Events   []api.RolloutEvent  `json:"events,omitempty"`
}

// RolloutCommandBody queues an operator command for a rollout.
type RolloutCommandBody struct {
	ID      string             `json:"id"`
	Command api.RolloutCommand `json:"command"`
}

// StartValidationBody records a validation run that is starting.
type StartValidationBody struct {
	Validation api.ValidationRecord `json:"validation"`
}

// FinishValidationBody records a validation run's verdict and evidence.
type FinishValidationBody struct {
	ID       string          `json:"id"`
	Verdict  string          `json:"verdict"`
	Reason   string          `json:"reason,omitempty"`
	Evidence json.RawMessage `json:"evidence,omitempty"`
	At       time.Time       `json:"at"`
}

// UpdateMonitorBody stores the trigger clocks and verdicts of a service's stable version.
type UpdateMonitorBody struct {
	Monitor api.MonitorRecord `json:"monitor"`
}

type envelope struct {
	Header Header          `json:"header"`
	Body   json.RawMessage `json:"body"`
}

// Encode serialises a command: one type byte, then JSON of the header and body.
func Encode(c Command) ([]byte, error) {
	if _, ok := commandNames[c.Type]; !ok {
		return nil, fmt.Errorf("encode command: unknown type %d", c.Type)
	}
	body, err := json.Marshal(c.Body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", c.Type, err)
	}
	b, err := json.Marshal(envelope{Header: c.Header, Body: body})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", c.Type, err)
	}
	return append([]byte{byte(c.Type)}, b...), nil
}

// decode splits an encoded command into its type, header and raw body.
func decode(b []byte) (CommandType, envelope, error) {
	if len(b) == 0 {
		return 0, envelope{}, fmt.Errorf("empty command")
	}
	t := CommandType(b[0])
	if _, ok := commandNames[t]; !ok {
		return t, envelope{}, fmt.Errorf("unknown command type %d", b[0])
	}
	var env envelope
	if err := json.Unmarshal(b[1:], &env); err != nil {
		return t, envelope{}, fmt.Errorf("decode %s: %w", t, err)
	}
	return t, env, nil
}

// Decode parses an encoded command back into a Command with a typed Body. It is used to
// check forwarded commands before they are proposed.
func Decode(b []byte) (Command, error) {
	t, env, err := decode(b)
	if err != nil {
		return Command{}, err
	}
	body, err := newBody(t)
	if err != nil {
		return Command{}, err
	}
	if err := json.Unmarshal(env.Body, body); err != nil {
		return Command{}, fmt.Errorf("decode %s body: %w", t, err)
	}
	return Command{Type: t, Header: env.Header, Body: body}, nil
}

func newBody(t CommandType) (any, error) {
	switch t {
	case CmdRegisterService:
		return &RegisterServiceBody{}, nil
	case CmdDeregisterService:
		return &DeregisterServiceBody{}, nil
	case CmdUpsertVersion:
		return &UpsertVersionBody{}, nil
	case CmdRemoveVersion:
		return &RemoveVersionBody{}, nil
	case CmdSetRoutes:
		return &SetRoutesBody{}, nil
	case CmdRegisterMember:
		return &RegisterMemberBody{}, nil
	case CmdRemoveMember:
		return &RemoveMemberBody{}, nil
	case CmdApplyPolicy:
		return &ApplyPolicyBody{}, nil
	case CmdDeletePolicy:
		return &DeletePolicyBody{}, nil
	case CmdStartRollout:
		return &StartRolloutBody{}, nil
	case CmdUpdateRollout:
		return &UpdateRolloutBody{}, nil
	case CmdRolloutCommand:
		return &RolloutCommandBody{}, nil
	case CmdStartValidation:
		return &StartValidationBody{}, nil
	case CmdFinishValidation:
		return &FinishValidationBody{}, nil
	case CmdUpdateMonitor:
		return &UpdateMonitorBody{}, nil
	}
	return nil, fmt.Errorf("unknown command type %d", uint8(t))
}
