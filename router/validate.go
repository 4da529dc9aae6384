package router

import (
	"fmt"
	"slices"
	"strings"
)

// FieldError names one invalid field of a record, the value found and what to do.
type FieldError struct {
	Field string `json:"field"` // path such as "split[1].weight"
	Value string `json:"value"` // the offending value as written
	Msg   string `json:"msg"`   // what is wrong and how to fix it
}

func (e FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("%s = %s: %s", e.Field, e.Value, e.Msg)
}

// ValidationError collects every problem found in one record.
type ValidationError struct {
	Object string // e.g. `route table "chest-xray-triage"`
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s: ", e.Object)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

type fieldErrors struct {
	object string
	list   []FieldError
}

func (f *fieldErrors) add(field, value, format string, args ...any) {
	f.list = append(f.list, FieldError{Field: field, Value: value, Msg: fmt.Sprintf(format, args...)})
}

func (f *fieldErrors) err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &ValidationError{Object: f.object, Fields: f.list}
}

// ValidateModelVersion checks a version record: a valid service name, a set version and at
// least one valid, distinct backend.
func ValidateModelVersion(mv ModelVersion) error {
	fe := fieldErrors{object: fmt.Sprintf("version %q of service %q", mv.Version, mv.Service)}
	if err := ValidateServiceName(mv.Service); err != nil {
		fe.add("service", mv.Service, "%v", err)
	}
	if mv.Version.IsZero() || mv.Version.Phase == PhaseUnknown {
		fe.add("version", mv.Version.String(), "set a version MAJOR.MINOR.PATCH-PHASE")
	}
	if len(mv.Backends) == 0 {
		fe.add("backends", "[]", "a version needs at least one backend host:port")
	}
	seen := map[string]bool{}
	for i, b := range mv.Backends {
		field := fmt.Sprintf("backends[%d].address", i)
		if err := ValidateBackend(b); err != nil {
			fe.add(field, b.Address, "%v", err)
			continue
		}
		if seen[b.Address] {
			fe.add(field, b.Address, "duplicate backend; list each address once")
		}
		seen[b.Address] = true
	}
	return fe.err()
}

// ValidateRouteTable checks rt against the versions registered for its service. It reports
// every problem at once. The rules:
//   - the split is non-empty, each version appears once, is registered, and the weights
//     (basis points) sum to exactly TotalWeight;
//   - PRECLINICAL and CLINICALINV versions get no share of the split (they may be pinned);
//   - pins use valid lower-case header names, non-empty values, registered versions, and
//     each header=value appears once;
//   - the mirror targets a registered version with 0.01-100 %;
//   - the timeout is at most MaxRouteTimeout, retries at most MaxNumRetries, retry_on
//     conditions known and per_try_timeout not above the timeout.
func ValidateRouteTable(rt RouteTable, versions []ModelVersion) error {
	fe := fieldErrors{object: fmt.Sprintf("route table %q", rt.Service)}
	if err := ValidateServiceName(rt.Service); err != nil {
		fe.add("service", rt.Service, "%v", err)
	}
	registered := map[Version]bool{}
	for _, mv := range versions {
		if mv.Service == rt.Service {
			registered[mv.Version] = true
		}
	}
	known := func(v Version) string {
		if registered[v] {
			return ""
		}
		var names []string
		for k := range registered {
			names = append(names, k.String())
		}
		slices.Sort(names)
		if len(names) == 0 {
			return fmt.Sprintf("version is not registered for service %q and the service has no versions; add it with `meshctl versions add %s %s --backend HOST:PORT`", rt.Service, rt.Service, v)
		}
		return fmt.Sprintf("version is not registered for service %q (registered: %s); add it first with `meshctl versions add`", rt.Service, strings.Join(names, ", "))
	}

	if len(rt.Split) == 0 {
		fe.add("split", "[]", "the split needs at least one version; weights must sum to %d basis points (100%%)", TotalWeight)
	}
	var sum uint64
	inSplit := map[Version]int{}
	for i, s := range rt.Split {
		field := fmt.Sprintf("split[%d]", i)
		if s.Version.IsZero() {
			fe.add(field+".version", "", "set a version")
			continue
		}
		if j, dup := inSplit[s.Version]; dup {
			fe.add(field+".version", s.Version.String(), "duplicate of split[%d]; list each version once", j)
		}
		inSplit[s.Version] = i
		if msg := known(s.Version); msg != "" {
			fe.add(field+".version", s.Version.String(), "%s", msg)
		}
		if s.Weight > TotalWeight {
			fe.add(field+".weight", fmt.Sprint(uint32(s.Weight)), "weight is above %d basis points (100%%)", TotalWeight)
		}
		if s.Weight > 0 && !s.Version.Phase.ServesWeightedTraffic() {
			fe.add(field+".weight", fmt.Sprint(uint32(s.Weight)), "%s versions serve no share of clinical traffic; pin it with a header route for validation instead", s.Version.Phase)
		}
		sum += uint64(s.Weight)
	}
	if len(rt.Split) > 0 && sum != uint64(TotalWeight) {
		fe.add("split", describeSplit(rt.Split), "weights sum to %d basis points (%s); they must sum to exactly %d (100%%)", sum, BasisPoints(min(sum, 1<<31)), TotalWeight)
	}

	pinned := map[[2]string]int{}
	for i, p := range rt.Pins {
		field := fmt.Sprintf("pins[%d]", i)
		if err := ValidateHeaderName(p.Header); err != nil {
			fe.add(field+".header", p.Header, "%v", err)
		}
		if p.Value == "" {
			fe.add(field+".value", "", "a pin needs a non-empty header value")
		}
		if p.Version.IsZero() {
			fe.add(field+".version", "", "set a version")
		} else if msg := known(p.Version); msg != "" {
			fe.add(field+".version", p.Version.String(), "%s", msg)
		}
		key := [2]string{p.Header, p.Value}
		if j, dup := pinned[key]; dup {
			fe.add(field, p.Header+"="+p.Value, "duplicate of pins[%d]; a header value pins one version", j)
		}
		pinned[key] = i
	}

	if m := rt.Mirror; m != nil {
		if m.Version.IsZero() {
			fe.add("mirror.version", "", "set a version")
		} else if msg := known(m.Version); msg != "" {
			fe.add("mirror.version", m.Version.String(), "%s", msg)
		}
		if m.Percent == 0 || m.Percent > TotalWeight {
			fe.add("mirror.percent", fmt.Sprint(uint32(m.Percent)), "mirror share must be 1-%d basis points (0.01-100%%)", TotalWeight)
		}
	}

	if rt.Timeout < 0 || rt.Timeout.Std() > MaxRouteTimeout {
		fe.add("timeout", rt.Timeout.String(), "timeout must be between 0 (default %s) and %s", DefaultRouteTimeout, MaxRouteTimeout)
	}
	if r := rt.Retry; r != nil {
		if r.NumRetries > MaxNumRetries {
			fe.add("retry.num_retries", fmt.Sprint(r.NumRetries), "at most %d retries are allowed", MaxNumRetries)
		}
		if r.PerTryTimeout < 0 || r.PerTryTimeout.Std() > rt.EffectiveTimeout() {
			fe.add("retry.per_try_timeout", r.PerTryTimeout.String(), "per-try timeout must be between 0 and the route timeout %s", rt.EffectiveTimeout())
		}
		for i, c := range r.RetryOn {
			if !slices.Contains(RetryOnConditions, c) {
				fe.add(fmt.Sprintf("retry.retry_on[%d]", i), c, "unknown retry condition; use one of %s", strings.Join(RetryOnConditions, ", "))
			}
		}
	}
	return fe.err()
}

func describeSplit(split []Split) string {
	parts := make([]string, len(split))
	for i, s := range split {
		parts[i] = fmt.Sprintf("%s=%d", s.Version, s.Weight)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// ValidateHeaderName accepts lower-case HTTP header names usable for routing: letters,
// digits and '-', not a pseudo-header, and not one that proxies rewrite.
func ValidateHeaderName(h string) error {
	if h == "" {
		return fmt.Errorf("header name is empty")
	}
	switch h {
	case "host", "content-length", "te", "connection", "transfer-encoding", "x-vigil-warm":
		return fmt.Errorf("header %q cannot be used for routing", h)
	}
	for i, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0) {
			return fmt.Errorf("header name %q: character %q is not allowed; use lower-case letters, digits and '-'", h, r)
		}
	}
	return nil
}
