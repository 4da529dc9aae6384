package router

import (
	"fmt"
	"strconv"
	"strings"
)

// Phase is the clinical development phase carried in a model version string. The order of
// the constants is the order of the lifecycle.
type Phase uint8

const (
	PhaseUnknown Phase = iota
	Preclinical
	ClinicalInvestigation
	ClinicalValidation
	Production
	FDAApproved
	CEMarked
	PostMarket
)

var phaseNames = [...]string{
	PhaseUnknown:          "UNKNOWN",
	Preclinical:           "PRECLINICAL",
	ClinicalInvestigation: "CLINICALINV",
	ClinicalValidation:    "CLINICALVALID",
	Production:            "PRODUCTION",
	FDAApproved:           "FDAAPPROVED",
	CEMarked:              "CEMARKED",
	PostMarket:            "POSTMARKET",
}

// Phases lists the valid phases in lifecycle order.
var Phases = []Phase{Preclinical, ClinicalInvestigation, ClinicalValidation, Production, FDAApproved, CEMarked, PostMarket}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// ParsePhase parses an upper-case phase name such as "PRODUCTION".
func ParsePhase(s string) (Phase, error) {
	for _, p := range Phases {
		if phaseNames[p] == s {
			return p, nil
		}
	}
	return PhaseUnknown, fmt.Errorf("unknown phase %q: want one of %s", s, phaseList())
}

func phaseList() string {
	names := make([]string, len(Phases))
	for i, p := range Phases {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

// ServesWeightedTraffic reports whether a version in this phase may receive a share of the
// weighted (clinical) split. PRECLINICAL and CLINICALINV versions serve only header-pinned
// traffic: validation runs and traffic tagged to an approved investigation.
func (p Phase) ServesWeightedTraffic() bool { return p >= ClinicalValidation }

// Version identifies one model version: MAJOR.MINOR.PATCH-PHASE, e.g. 2.2.0-PRODUCTION.
// The zero Version is invalid.
type Version struct {
	Major, Minor, Patch uint32
	Phase               Phase
}

// ParseVersion parses MAJOR.MINOR.PATCH-PHASE. Numbers are decimal without leading zeros
// (as in semantic versioning); the phase is one of Phases, upper case.
func ParseVersion(s string) (Version, error) {
	core, phase, ok := strings.Cut(s, "-")
	if !ok {
		return Version{}, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH-PHASE, e.g. 2.2.0-PRODUCTION (phase missing)", s)
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH-PHASE, e.g. 2.2.0-PRODUCTION (%d numeric parts, want 3)", s, len(parts))
	}
	var nums [3]uint32
	for i, part := range parts {
		n, err := parseVersionNumber(part)
		if err != nil {
			return Version{}, fmt.Errorf("version %q: %s part %q: %w", s, [...]string{"major", "minor", "patch"}[i], part, err)
		}
		nums[i] = n
	}
	p, err := ParsePhase(phase)
	if err != nil {
		return Version{}, fmt.Errorf("version %q: %w", s, err)
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2], Phase: p}, nil
}

func parseVersionNumber(s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("leading zero")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("number out of range")
	}
	return uint32(n), nil
}

// MustParseVersion is ParseVersion for constants in tests and examples; it panics on error.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d-%s", v.Major, v.Minor, v.Patch, v.Phase)
}

// IsZero reports whether v is the zero (unset) Version.
func (v Version) IsZero() bool { return v == Version{} }

// Compare orders versions by MAJOR, MINOR, PATCH, then phase in lifecycle order. It returns
// -1, 0 or +1.
func (v Version) Compare(o Version) int {
	switch {
	case v.Major != o.Major:
		return cmpU32(v.Major, o.Major)
	case v.Minor != o.Minor:
		return cmpU32(v.Minor, o.Minor)
	case v.Patch != o.Patch:
		return cmpU32(v.Patch, o.Patch)
	case v.Phase != o.Phase:
		return cmpU32(uint32(v.Phase), uint32(o.Phase))
	}
	return 0
}

func cmpU32(a, b uint32) int {
	if a < b {
		return -1
	}
	return 1
}

// SameRelease reports whether v and o are the same MAJOR.MINOR.PATCH, whatever their phase.
func (v Version) SameRelease(o Version) bool {
	return v.Major == o.Major && v.Minor == o.Minor && v.Patch == o.Patch
}

// MarshalText encodes the version as its string form, so JSON carries "2.2.0-PRODUCTION".
func (v Version) MarshalText() ([]byte, error) {
	if v.IsZero() {
		return nil, fmt.Errorf("cannot encode an unset version")
	}
	return []byte(v.String()), nil
}

// UnmarshalText parses the string form.
func (v *Version) UnmarshalText(b []byte) error {
	parsed, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}
