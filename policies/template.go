package policies

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Placeholder is a runtime value a query template refers to.
type Placeholder uint8

const (
	// PlaceholderService is ${service}: the service name.
	PlaceholderService Placeholder = iota + 1
	// PlaceholderVersion is ${version}: the version being evaluated.
	PlaceholderVersion
	// PlaceholderBaselineVersion is ${baseline_version}: the baseline version.
	PlaceholderBaselineVersion
	// PlaceholderInterval is ${interval}: the evaluation window as a PromQL duration (for
	// a judge the analysis window, for a trigger the evaluation interval).
	PlaceholderInterval
)

var placeholderNames = enumSpec[Placeholder]{kind: "Placeholder", names: []string{"",
	"service", "version", "baseline_version", "interval"}}

func (p Placeholder) String() string { return placeholderNames.name(p) }

// QueryVars are the values placeholders render to.
type QueryVars struct {
	Service         string
	Version         string
	BaselineVersion string
	// Interval renders as a PromQL duration ("1m30s", "500ms"), truncated to milliseconds.
	Interval time.Duration
}

// QueryTemplate is a PromQL query with ${service}, ${version}, ${baseline_version} and
// ${interval} left for run time. Variables, locals and functions in the policy have been
// evaluated already. The zero value is the empty template (attribute not set).
type QueryTemplate struct {
	parts []templatePart
}

// templatePart is literal text, or a placeholder when placeholder != 0.
type templatePart struct {
	literal     string
	placeholder Placeholder
}

// IsZero reports whether the template is empty.
func (q QueryTemplate) IsZero() bool { return len(q.parts) == 0 }

// Render substitutes vars for the placeholders. Service, Version and BaselineVersion are
// escaped for a double-quoted PromQL string (backslash and double quote), which is where
// label values belong; Vigil's service names and versions contain neither.
func (q QueryTemplate) Render(vars QueryVars) string {
	var b strings.Builder
	for _, p := range q.parts {
		switch p.placeholder {
		case 0:
			b.WriteString(p.literal)
		case PlaceholderService:
			b.WriteString(escapePromQLString(vars.Service))
		case PlaceholderVersion:
			b.WriteString(escapePromQLString(vars.Version))
		case PlaceholderBaselineVersion:
			b.WriteString(escapePromQLString(vars.BaselineVersion))
		case PlaceholderInterval:
			b.WriteString(promDuration(vars.Interval))
		}
	}
	return b.String()
}

// Placeholders lists the placeholders the template uses, each once, in order of first use.
func (q QueryTemplate) Placeholders() []Placeholder {
	var out []Placeholder
	seen := map[Placeholder]bool{}
	for _, p := range q.parts {
		if p.placeholder != 0 && !seen[p.placeholder] {
			seen[p.placeholder] = true
			out = append(out, p.placeholder)
		}
	}
	return out
}

// String returns the template in policy syntax: placeholders as ${name}, a literal "${" as
// "$${" and a literal "%{" as "%%{", so ParseQueryTemplate(q.String()) equals q.
func (q QueryTemplate) String() string {
	var b strings.Builder
	for _, p := range q.parts {
		if p.placeholder != 0 {
			b.WriteString("${" + p.placeholder.String() + "}")
			continue
		}
		s := strings.ReplaceAll(p.literal, "${", "$${")
		b.WriteString(strings.ReplaceAll(s, "%{", "%%{"))
	}
	return b.String()
}

// MarshalText encodes the template as String does.
func (q QueryTemplate) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText decodes what MarshalText produced.
func (q *QueryTemplate) UnmarshalText(b []byte) error {
	t, err := ParseQueryTemplate(string(b))
	if err != nil {
		return err
	}
	*q = t
	return nil
}

// ErrUnknownPlaceholder is wrapped by ParseQueryTemplate's error for a ${name} that is not
// one of the four placeholders.
var ErrUnknownPlaceholder = errors.New("unknown placeholder")

// ParseQueryTemplate reads a template in the syntax String produces: ${service},
// ${version}, ${baseline_version}, ${interval}; "$${" and "%%{" are literal "${" and "%{".
// Anything else inside ${...} is an error wrapping ErrUnknownPlaceholder; an unclosed
// "${" is an error too. It is for stored templates: a policy file's queries are parsed by
// Parse, which also evaluates variables and locals.
func ParseQueryTemplate(text string) (QueryTemplate, error) {
	var q QueryTemplate
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			q.parts = append(q.parts, templatePart{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(text[i:], "%%{"):
			lit.WriteString("%{")
			i += 3
		case strings.HasPrefix(text[i:], "${"):
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return QueryTemplate{}, fmt.Errorf("query template: unclosed ${ at byte %d", i)
			}
			name := text[i+2 : i+end]
			p, ok := placeholderNames.parse(name)
			if !ok {
				return QueryTemplate{}, fmt.Errorf("query template: ${%s} at byte %d: %w; use %s",
					name, i, ErrUnknownPlaceholder, placeholderChoices())
			}
			flush()
			q.parts = append(q.parts, templatePart{placeholder: p})
			i += end + 1
		default:
			lit.WriteByte(text[i])
			i++
		}
	}
	flush()
	return q, nil
}

// placeholderChoices is "${service}, ${version}, ${baseline_version} or ${interval}".
func placeholderChoices() string {
	var names []string
	for _, n := range placeholderNames.keywords() {
		names = append(names, "${"+n+"}")
	}
	return joinChoices(names)
}

// Template markers: while a query attribute is evaluated, each placeholder name is bound
// to markerOpen + name + markerClose. The markers are Unicode private-use characters, so
// they cannot come from a PromQL query; splitting the evaluated string on them recovers the
// placeholders exactly, whatever variables, locals and functions did around them.
const (
	markerOpen  = "\uE000"
	markerClose = "\uE001"
)

func placeholderMarker(p Placeholder) string { return markerOpen + p.String() + markerClose }

// errAlteredPlaceholder reports a marker that a function changed (e.g. upper("${service}")).
var errAlteredPlaceholder = errors.New("a placeholder was changed by a function, or the query contains one of the reserved characters U+E000 and U+E001; placeholders can only be inserted as they are")

// templateFromEvaluated splits an evaluated query string into literals and placeholders.
func templateFromEvaluated(s string) (QueryTemplate, error) {
	var q QueryTemplate
	for len(s) > 0 {
		open := strings.Index(s, markerOpen)
		if open < 0 {
			break
		}
		if open > 0 {
			q.parts = append(q.parts, templatePart{literal: s[:open]})
		}
		rest := s[open+len(markerOpen):]
		end := strings.Index(rest, markerClose)
		if end < 0 {
			return QueryTemplate{}, errAlteredPlaceholder
		}
		p, ok := placeholderNames.parse(rest[:end])
		if !ok {
			return QueryTemplate{}, errAlteredPlaceholder
		}
		q.parts = append(q.parts, templatePart{placeholder: p})
		s = rest[end+len(markerClose):]
	}
	if strings.Contains(s, markerClose) {
		return QueryTemplate{}, errAlteredPlaceholder
	}
	if s != "" {
		q.parts = append(q.parts, templatePart{literal: s})
	}
	return q, nil
}

// escapePromQLString escapes s for use inside a double-quoted PromQL string.
func escapePromQLString(s string) string {
	if !strings.ContainsAny(s, `\"`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// compactDuration renders d for people and policy files: "1h30m", "45s", "1s500ms", "0s"
// (PromQL syntax, which time.ParseDuration also reads); a duration that is not a whole
// number of milliseconds, or is negative, in Go's syntax ("1.0005s").
func compactDuration(d time.Duration) string {
	if d < 0 || d%time.Millisecond != 0 {
		return d.String()
	}
	return promDuration(d)
}

// promDuration renders d in PromQL duration syntax: "1h30m", "45s", "1s500ms", "0s".
// Sub-millisecond parts are truncated; negative durations render as "0s".
func promDuration(d time.Duration) string {
	ms := d.Milliseconds()
	if ms <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit string
		ms   int64
	}{{"h", 3600_000}, {"m", 60_000}, {"s", 1000}, {"ms", 1}} {
		if ms >= u.ms {
			b.WriteString(strconv.FormatInt(ms/u.ms, 10))
			b.WriteString(u.unit)
			ms %= u.ms
		}
	}
	return b.String()
}
