package clinical

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Reserved CSV columns.
const (
	// LabelColumn holds the ground-truth class of each case.
	LabelColumn = "label"
	// IDColumn, when present, holds a unique case id.
	IDColumn = "id"
)

// LoadCSV parses a data set from CSV bytes (RFC 4180). The first record is a header.
// Column LabelColumn holds positiveLabel or negativeLabel for every case; anything else
// is an error naming the line and value. An optional IDColumn holds unique case ids;
// without it a case's id is "row-N". The columns named in subgroups hold each case's
// subgroup value (non-empty). A column whose value on the first case is not a number is
// descriptive (a free-text attribute such as "size_band"): it is kept like a subgroup
// column and never sent to the model. Every other column is a numeric feature, in header
// order; a value that is not a finite number is an error naming line and column.
//
// SHA256 is computed over data exactly as given. Errors (all *DatasetError, wrapping
// ErrInvalidDataset): malformed CSV, a header without a label column, a missing or
// repeated column, no feature column, no case, a row with a different number of fields
// than the header, a bad label or feature, an empty subgroup value, a repeated id.
func LoadCSV(name string, data []byte, positiveLabel, negativeLabel string, subgroups []string) (*Dataset, error) {
	if err := checkLabels(name, positiveLabel, negativeLabel); err != nil {
		return nil, err
	}
	if err := checkSubgroupNames(name, subgroups); err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // ragged rows are reported below with the header's count
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, datasetErrorf(name, 0, "", "the file is empty: want a header line and at least one case")
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	subgroups = append(append([]string(nil), subgroups...), descriptiveColumns(data, header, subgroups)...)
	layout, err := newCSVLayout(name, header, subgroups)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: name, SHA256: sha256Hex(data), PositiveLabel: positiveLabel, NegativeLabel: negativeLabel,
		FeatureNames: layout.featureNames(header), SubgroupColumns: append([]string(nil), subgroups...)}
	ids := map[string]int{}
	for row := 1; ; row++ {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		if len(record) != len(header) {
			return nil, datasetErrorf(name, line, "", "%d fields, the header has %d: every row needs one value per column", len(record), len(header))
		}
		c, err := layout.parseCase(name, line, row, header, record, positiveLabel, negativeLabel)
		if err != nil {
			return nil, err
		}
		if first, dup := ids[c.ID]; dup {
			return nil, datasetErrorf(name, line, IDColumn, "id %q repeats the id of line %d: case ids must be unique", c.ID, first)
		}
		ids[c.ID] = line
		ds.Cases = append(ds.Cases, c)
	}
	if len(ds.Cases) == 0 {
		return nil, datasetErrorf(name, 0, "", "no cases after the header: a data set needs at least one labelled case")
	}
	return ds, nil
}

// descriptiveColumns names the columns other than the label, the id and the subgroups
// whose value on the first case does not parse as a number. It reads data on its own;
// malformed CSV is reported by the caller's reader.
func descriptiveColumns(data []byte, header, subgroups []string) []string {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return nil
	}
	first, err := r.Read()
	if err != nil || len(first) != len(header) {
		return nil
	}
	skip := map[string]bool{LabelColumn: true, IDColumn: true}
	for _, s := range subgroups {
		skip[s] = true
	}
	var out []string
	for i, col := range header {
		if skip[col] || col == "" {
			continue
		}
		if _, err := strconv.ParseFloat(first[i], 64); err != nil && first[i] != "" {
			out = append(out, col)
		}
	}
	return out
}

// csvError turns an encoding/csv error into a *DatasetError with its line.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return datasetErrorf(name, pe.Line, "", "malformed CSV: %v", pe.Err)
	}
	return datasetErrorf(name, 0, "", "reading CSV: %v", err)
}

// csvLayout says what each column of a CSV file is.
type csvLayout struct {
	label    int
	id       int // -1 without an id column
	subgroup map[int]string
	features []int
}

func newCSVLayout(name string, header []string, subgroups []string) (*csvLayout, error) {
	l := &csvLayout{label: -1, id: -1, subgroup: map[int]string{}}
	wantSubgroup := map[string]bool{}
	for _, s := range subgroups {
		wantSubgroup[s] = true
	}
	seen := map[string]int{}
	for i, col := range header {
		if col == "" {
			return nil, datasetErrorf(name, 1, "", "header field %d is empty: every column needs a name", i+1)
		}
		if j, dup := seen[col]; dup {
			return nil, datasetErrorf(name, 1, col, "column appears twice in the header (fields %d and %d): column names must be unique", j+1, i+1)
		}
		seen[col] = i
		switch {
		case col == LabelColumn:
			l.label = i
		case col == IDColumn:
			l.id = i
		case wantSubgroup[col]:
			l.subgroup[i] = col
		default:
			l.features = append(l.features, i)
		}
	}
	if l.label < 0 {
		return nil, datasetErrorf(name, 1, LabelColumn, "the header has no %q column: add one holding each case's class", LabelColumn)
	}
	for _, s := range subgroups {
		if _, ok := seen[s]; !ok {
			return nil, datasetErrorf(name, 1, s, "subgroup column not in the header: the header has %v", header)
		}
	}
	if len(l.features) == 0 {
		return nil, datasetErrorf(name, 1, "", "no feature columns: every column other than %q, %q and the subgroups is a feature", LabelColumn, IDColumn)
	}
	return l, nil
}

func (l *csvLayout) featureNames(header []string) []string {
	names := make([]string, len(l.features))
	for i, j := range l.features {
		names[i] = header[j]
	}
	return names
}

func (l *csvLayout) parseCase(name string, line, row int, header, record []string, positiveLabel, negativeLabel string) (Case, error) {
	c := Case{ID: fmt.Sprintf("row-%d", row), Features: make([]float64, len(l.features))}
	if l.id >= 0 {
		if record[l.id] == "" {
			return Case{}, datasetErrorf(name, line, IDColumn, "empty id: every case in a file with an id column needs one")
		}
		c.ID = record[l.id]
	}
	positive, err := parseLabel(record[l.label], positiveLabel, negativeLabel)
	if err != nil {
		return Case{}, &DatasetError{Dataset: name, Line: line, Column: LabelColumn, Problem: err.Error()}
	}
	c.Positive = positive
	for i, j := range l.features {
		v, err := strconv.ParseFloat(record[j], 64)
		if err != nil || !isFinite(v) {
			return Case{}, datasetErrorf(name, line, header[j], "value %q is not a finite number: feature columns hold numbers", record[j])
		}
		c.Features[i] = v
	}
	if len(l.subgroup) > 0 {
		c.Subgroups = make(map[string]string, len(l.subgroup))
		for j, col := range l.subgroup {
			if record[j] == "" {
				return Case{}, datasetErrorf(name, line, col, "empty subgroup value: every case needs a value in each subgroup column")
			}
			c.Subgroups[col] = record[j]
		}
	}
	return c, nil
}

// parseLabel maps a label value to the class; the error names the value and the
// accepted ones.
func parseLabel(value, positiveLabel, negativeLabel string) (bool, error) {
	switch value {
	case positiveLabel:
		return true, nil
	case negativeLabel:
		return false, nil
	}
	return false, fmt.Errorf("label %q is neither the positive label %q nor the negative label %q", value, positiveLabel, negativeLabel)
}
