package wdbc

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Case is one fine-needle-aspirate case.
type Case struct {
	// ID is "wdbc-NNN", NNN the 1-based data row in breast_cancer.csv (header excluded), so
	// every derived file can be traced back to the source row.
	ID string
	// Features holds the NumFeatures values in FeatureNames order.
	Features []float64
	// Label is the biopsy-confirmed diagnosis.
	Label Class
}

// SizeBand returns the case's subgroup, derived from its radius_mean.
func (c Case) SizeBand() SizeBand { return SizeBandOf(c.Features[RadiusMeanIndex]) }

// CaseID returns the ID of the case on the given 1-based data row.
func CaseID(row int) string { return fmt.Sprintf("wdbc-%03d", row) }

// LoadUCI reads breast_cancer.csv in the format described in examples/data/wdbc/README.md:
// a header line "569,30,malignant,benign" (rows, features, class names in label order) and
// then one line per case with the 30 features and the label (0 = malignant, 1 = benign).
// Every error names the file, line and, where it applies, the column.
func LoadUCI(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open wdbc data: %w", err)
	}
	defer f.Close()
	return ReadUCI(f, path)
}

// ReadUCI parses the UCI format from r; name is used in error messages.
func ReadUCI(r io.Reader, name string) ([]Case, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: read header: %w", name, err)
		}
		return nil, fmt.Errorf("%s:1: empty file: want a header line like 569,30,malignant,benign", name)
	}
	rows, err := parseUCIHeader(sc.Text())
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", name, err)
	}
	cases := make([]Case, 0, rows)
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		c, err := parseUCIRow(text, len(cases)+1)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read line %d: %w", name, line+1, err)
	}
	if len(cases) != rows {
		return nil, fmt.Errorf("%s: header announces %d cases but the file has %d", name, rows, len(cases))
	}
	return cases, nil
}

func parseUCIHeader(text string) (int, error) {
	fields := strings.Split(strings.TrimSpace(text), ",")
	if len(fields) != 4 || fields[2] != "malignant" || fields[3] != "benign" {
		return 0, fmt.Errorf("header %q: want rows,30,malignant,benign (the UCI format of breast_cancer.csv; read a golden set from its .jsonl file)", text)
	}
	rows, err := strconv.Atoi(fields[0])
	if err != nil || rows <= 0 {
		return 0, fmt.Errorf("header %q: row count %q is not a positive integer", text, fields[0])
	}
	if fields[1] != strconv.Itoa(NumFeatures) {
		return 0, fmt.Errorf("header %q: feature count %q, want %d", text, fields[1], NumFeatures)
	}
	return rows, nil
}

func parseUCIRow(text string, row int) (Case, error) {
	fields := strings.Split(text, ",")
	if len(fields) != NumFeatures+1 {
		return Case{}, fmt.Errorf("%d columns, want %d (30 features and the label)", len(fields), NumFeatures+1)
	}
	features, err := parseFeatures(fields[:NumFeatures])
	if err != nil {
		return Case{}, err
	}
	var label Class
	switch fields[NumFeatures] {
	case "0":
		label = Malignant
	case "1":
		label = Benign
	default:
		return Case{}, fmt.Errorf("column %d (label): %q, want 0 (malignant) or 1 (benign)", NumFeatures+1, fields[NumFeatures])
	}
	return Case{ID: CaseID(row), Features: features, Label: label}, nil
}

// parseFeatures parses NumFeatures finite numbers; errors name the 1-based column and the
// feature.
func parseFeatures(fields []string) ([]float64, error) {
	features := make([]float64, NumFeatures)
	for i, field := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
		if err != nil {
			return nil, fmt.Errorf("column %d (%s): %q is not a number", i+1, featureNames[i], field)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("column %d (%s): %q is not a finite number", i+1, featureNames[i], field)
		}
		features[i] = v
	}
	return features, nil
}
