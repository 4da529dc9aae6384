package clinical

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// jsonlCase is one line of a JSON Lines data set.
type jsonlCase struct {
	ID        *string           `json:"id"`
	Features  []*float64        `json:"features"`
	Label     *string           `json:"label"`
	Subgroups map[string]string `json:"subgroups"`
}

// LoadJSONL parses a data set from JSON Lines bytes, one case per line as in
// examples/data/golden.jsonl:
//
//	{"id":"wdbc-001","features":[17.99,10.38,...],"label":"malignant","subgroups":{"size_band":"large"}}
//
// Every line needs a unique non-empty "id", a non-empty "features" array of numbers
// (the same length on every line), a "label" that is positiveLabel or negativeLabel,
// and, in "subgroups", a non-empty value for each column named in subgroups; subgroup
// keys not named are ignored. Unknown fields, null values, blank lines between cases
// and trailing data after the object are errors. SHA256 is over data exactly as given.
// Errors are *DatasetError values naming the line and field, wrapping ErrInvalidDataset.
func LoadJSONL(name string, data []byte, positiveLabel, negativeLabel string, subgroups []string) (*Dataset, error) {
	if err := checkLabels(name, positiveLabel, negativeLabel); err != nil {
		return nil, err
	}
	if err := checkSubgroupNames(name, subgroups); err != nil {
		return nil, err
	}
	ds := &Dataset{Name: name, SHA256: sha256Hex(data), PositiveLabel: positiveLabel, NegativeLabel: negativeLabel,
		SubgroupColumns: append([]string(nil), subgroups...)}
	lines := bytes.Split(data, []byte("\n"))
	if n := len(lines); n > 0 && len(bytes.TrimSpace(lines[n-1])) == 0 {
		lines = lines[:n-1] // the newline that ends the last case
	}
	ids := map[string]int{}
	width := -1
	for i, raw := range lines {
		line := i + 1
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil, datasetErrorf(name, line, "", "blank line: JSON Lines needs one case object per line")
		}
		c, err := parseJSONLCase(name, line, raw, positiveLabel, negativeLabel, subgroups)
		if err != nil {
			return nil, err
		}
		if width < 0 {
			width = len(c.Features)
		} else if len(c.Features) != width {
			return nil, datasetErrorf(name, line, "features", "%d features, line 1 has %d: every case needs the same features", len(c.Features), width)
		}
		if first, dup := ids[c.ID]; dup {
			return nil, datasetErrorf(name, line, "id", "id %q repeats the id of line %d: case ids must be unique", c.ID, first)
		}
		ids[c.ID] = line
		ds.Cases = append(ds.Cases, c)
	}
	if len(ds.Cases) == 0 {
		return nil, datasetErrorf(name, 0, "", "no cases: a data set needs at least one labelled case")
	}
	return ds, nil
}

func parseJSONLCase(name string, line int, raw []byte, positiveLabel, negativeLabel string, subgroups []string) (Case, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var jc jsonlCase
	if err := dec.Decode(&jc); err != nil {
		return Case{}, datasetErrorf(name, line, "", "not a case object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Case{}, datasetErrorf(name, line, "", "data after the case object: put one case per line")
	}
	if jc.ID == nil || *jc.ID == "" {
		return Case{}, datasetErrorf(name, line, "id", "missing or empty: every case needs a unique id")
	}
	c := Case{ID: *jc.ID}
	if len(jc.Features) == 0 {
		return Case{}, datasetErrorf(name, line, "features", "missing or empty: want an array of numbers")
	}
	c.Features = make([]float64, len(jc.Features))
	for j, v := range jc.Features {
		if v == nil {
			return Case{}, datasetErrorf(name, line, fmt.Sprintf("features[%d]", j), "null is not a number: every feature needs a value")
		}
		c.Features[j] = *v
	}
	if jc.Label == nil {
		return Case{}, datasetErrorf(name, line, "label", "missing: want %q or %q", positiveLabel, negativeLabel)
	}
	positive, err := parseLabel(*jc.Label, positiveLabel, negativeLabel)
	if err != nil {
		return Case{}, &DatasetError{Dataset: name, Line: line, Column: "label", Problem: err.Error()}
	}
	c.Positive = positive
	if len(subgroups) > 0 {
		c.Subgroups = make(map[string]string, len(subgroups))
		for _, s := range subgroups {
			v, ok := jc.Subgroups[s]
			if !ok || v == "" {
				return Case{}, datasetErrorf(name, line, "subgroups."+s, "missing or empty: every case needs a value for each subgroup column (has %v)", sortedKeys(jc.Subgroups))
			}
			c.Subgroups[s] = v
		}
	}
	return c, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
