package wdbc

import "fmt"

// Class is a diagnosis. Malignant is the positive class: sensitivity is the share of
// malignant cases called malignant. The zero value is not a diagnosis.
type Class uint8

// The diagnoses.
const (
	ClassUnknown Class = iota
	Malignant
	Benign
)

// String returns "malignant", "benign" or "unknown".
func (c Class) String() string {
	switch c {
	case Malignant:
		return "malignant"
	case Benign:
		return "benign"
	default:
		return "unknown"
	}
}

// ParseClass reads "malignant" or "benign" (exactly, lower case); anything else is an error
// that names the value.
func ParseClass(s string) (Class, error) {
	switch s {
	case "malignant":
		return Malignant, nil
	case "benign":
		return Benign, nil
	default:
		return ClassUnknown, fmt.Errorf("invalid diagnosis %q: want malignant or benign", s)
	}
}

// MarshalText encodes the class as its name; the zero value cannot be encoded.
func (c Class) MarshalText() ([]byte, error) {
	if c != Malignant && c != Benign {
		return nil, fmt.Errorf("cannot encode diagnosis %d: want malignant or benign", uint8(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText decodes a class name with ParseClass.
func (c *Class) UnmarshalText(text []byte) error {
	parsed, err := ParseClass(string(text))
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// SizeBand is a subgroup derived from the real radius_mean feature: Small when radius_mean is
// below SizeBandCutoff, Large otherwise. It lets validation report performance per subgroup
// without inventing demographic attributes the data set does not have.
type SizeBand uint8

// The size bands.
const (
	SizeBandUnknown SizeBand = iota
	SizeBandSmall
	SizeBandLarge
)

// SizeBandCutoff is the radius_mean (in the data set's units) at and above which a case is
// in SizeBandLarge.
const SizeBandCutoff = 15.0

// SizeBandOf returns the band of a case with the given radius_mean.
func SizeBandOf(radiusMean float64) SizeBand {
	if radiusMean < SizeBandCutoff {
		return SizeBandSmall
	}
	return SizeBandLarge
}

// String returns "small", "large" or "unknown".
func (b SizeBand) String() string {
	switch b {
	case SizeBandSmall:
		return "small"
	case SizeBandLarge:
		return "large"
	default:
		return "unknown"
	}
}

// ParseSizeBand reads "small" or "large"; anything else is an error naming the value.
func ParseSizeBand(s string) (SizeBand, error) {
	switch s {
	case "small":
		return SizeBandSmall, nil
	case "large":
		return SizeBandLarge, nil
	default:
		return SizeBandUnknown, fmt.Errorf("invalid size_band %q: want small or large", s)
	}
}
