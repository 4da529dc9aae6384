package wdbc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SizeBandSubgroup is the subgroup key of SizeBand in golden.jsonl and golden.csv.
const SizeBandSubgroup = "size_band"

// goldenRecord is one line of golden.jsonl.
type goldenRecord struct {
	ID        string            `json:"id"`
	Features  []float64         `json:"features"`
	Label     Class             `json:"label"`
	Subgroups map[string]string `json:"subgroups"`
}

// WriteGoldenCSV writes cases as CSV: a header with the 30 feature names, "label" and
// "size_band", then one row per case in the given order. Numbers use the shortest decimal
// form that reads back to the same float64, so values from breast_cancer.csv are unchanged.
func WriteGoldenCSV(w io.Writer, cases []Case) error {
	var b strings.Builder
	b.WriteString(strings.Join(featureNames[:], ","))
	b.WriteString(",label," + SizeBandSubgroup + "\n")
	for _, c := range cases {
		if err := checkCase(c); err != nil {
			return err
		}
		for _, v := range c.Features {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			b.WriteByte(',')
		}
		b.WriteString(c.Label.String() + "," + c.SizeBand().String() + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write golden csv: %w", err)
	}
	return nil
}

// WriteGoldenJSONL writes one JSON object per line:
// {"id":..., "features":[30 numbers], "label":"malignant"|"benign", "subgroups":{"size_band":"small"|"large"}}.
func WriteGoldenJSONL(w io.Writer, cases []Case) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, c := range cases {
		if err := checkCase(c); err != nil {
			return err
		}
		rec := goldenRecord{
			ID:        c.ID,
			Features:  c.Features,
			Label:     c.Label,
			Subgroups: map[string]string{SizeBandSubgroup: c.SizeBand().String()},
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("encode golden case %s: %w", c.ID, err)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write golden jsonl: %w", err)
	}
	return nil
}

// ReadGoldenJSONL parses the format written by WriteGoldenJSONL; name is used in error
// messages, which give the line and the field. A size_band that disagrees with the case's
// radius_mean is an error, since the subgroup is derived from that feature.
func ReadGoldenJSONL(r io.Reader, name string) ([]Case, error) {
	var cases []Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		c, err := parseGoldenRecord(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read line %d: %w", name, line+1, err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s: no cases", name)
	}
	return cases, nil
}

func parseGoldenRecord(text []byte) (Case, error) {
	var rec goldenRecord
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return Case{}, fmt.Errorf("decode golden case: %w", err)
	}
	if rec.ID == "" {
		return Case{}, fmt.Errorf("field id: missing")
	}
	if rec.Label == ClassUnknown {
		return Case{}, fmt.Errorf("case %s: field label: missing, want malignant or benign", rec.ID)
	}
	c := Case{ID: rec.ID, Features: rec.Features, Label: rec.Label}
	if err := checkCase(c); err != nil {
		return Case{}, err
	}
	band, ok := rec.Subgroups[SizeBandSubgroup]
	if !ok {
		return Case{}, fmt.Errorf("case %s: field subgroups.%s: missing", rec.ID, SizeBandSubgroup)
	}
	parsed, err := ParseSizeBand(band)
	if err != nil {
		return Case{}, fmt.Errorf("case %s: field subgroups.%s: %w", rec.ID, SizeBandSubgroup, err)
	}
	if parsed != c.SizeBand() {
		return Case{}, fmt.Errorf("case %s: field subgroups.%s is %s but radius_mean %v puts the case in %s",
			rec.ID, SizeBandSubgroup, parsed, c.Features[RadiusMeanIndex], c.SizeBand())
	}
	return c, nil
}

// checkCase validates what every writer and reader relies on.
func checkCase(c Case) error {
	if len(c.Features) != NumFeatures {
		return fmt.Errorf("case %s: field features: %d values, want %d", c.ID, len(c.Features), NumFeatures)
	}
	for i, v := range c.Features {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("case %s: field features[%d] (%s): %v is not a finite number", c.ID, i, featureNames[i], v)
		}
	}
	if c.Label != Malignant && c.Label != Benign {
		return fmt.Errorf("case %s: field label: %v, want malignant or benign", c.ID, c.Label)
	}
	return nil
}

// LoadCases reads labelled cases from a golden set (a .jsonl file written by
// WriteGoldenJSONL) or from the full data set (breast_cancer.csv in the UCI format). Any
// other extension is an error.
func LoadCases(path string) ([]Case, error) {
	switch ext := filepath.Ext(path); ext {
	case ".jsonl":
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open golden set: %w", err)
		}
		defer f.Close()
		return ReadGoldenJSONL(f, path)
	case ".csv":
		return LoadUCI(path)
	default:
		return nil, fmt.Errorf("cases file %s: extension %q: want .jsonl (golden set) or .csv (breast_cancer.csv in the UCI format)", path, ext)
	}
}
