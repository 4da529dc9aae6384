package clinical

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Float is a statistic that may be undefined, such as a sensitivity without positive
// cases or a p-value without discordant pairs. NaN and the infinities mean undefined:
// they encode as JSON null, and null decodes as NaN, so a Result always encodes.
type Float float64

// undefined is the value of a statistic the data leave undefined.
func undefined() Float { return Float(math.NaN()) }

// Defined reports whether f is a finite number.
func (f Float) Defined() bool {
	v := float64(f)
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// MarshalJSON encodes a finite value as the shortest JSON number that reads back to it,
// and an undefined one as null.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Defined() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

// UnmarshalJSON decodes a JSON number, or null as an undefined value.
func (f *Float) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*f = undefined()
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("statistic %s: want a JSON number or null: %w", b, err)
	}
	*f = Float(v)
	return nil
}

// format renders f with the given number of decimals, or "n/a" when undefined.
func (f Float) format(decimals int) string {
	if !f.Defined() {
		return "n/a"
	}
	return strconv.FormatFloat(float64(f), 'f', decimals, 64)
}

// String renders f with up to 6 significant digits, or "n/a" when undefined.
func (f Float) String() string {
	if !f.Defined() {
		return "n/a"
	}
	return strconv.FormatFloat(float64(f), 'g', 6, 64)
}
