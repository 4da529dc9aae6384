package clinical

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalidDataset is wrapped by every *DatasetError: the data set could not be read
	// as a labelled golden set.
	ErrInvalidDataset = errors.New("invalid data set")
	// ErrInvalidConfig is wrapped by errors about a Config, a spec or answers that cannot
	// be evaluated (a missing field, a value outside its range, answers that do not match
	// the data set).
	ErrInvalidConfig = errors.New("invalid clinical validation configuration")
	// ErrDatasetMismatch is wrapped by Run's error when the data set's SHA-256 is not the
	// one the spec pins (dataset_sha256): the run would validate against other data than
	// the policy names, so it does not start.
	ErrDatasetMismatch = errors.New("data set does not match its pinned sha256")
)

// DatasetError reports one problem in a data set, with where it is.
type DatasetError struct {
	// Dataset is the data set's name as given to the loader.
	Dataset string
	// Line is the 1-based line of the file (the CSV header is line 1); 0 when the
	// problem concerns the whole data set.
	Line int
	// Column is the CSV column or JSON field concerned; "" when none in particular.
	Column string
	// Problem says what is wrong and what to do about it.
	Problem string
}

// Error returns "<dataset>: line <n>, column <c>: <problem>".
func (e *DatasetError) Error() string {
	var b strings.Builder
	b.WriteString(e.Dataset)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Column != "" {
		if e.Line > 0 {
			b.WriteString(",")
		} else {
			b.WriteString(":")
		}
		fmt.Fprintf(&b, " column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap returns ErrInvalidDataset.
func (e *DatasetError) Unwrap() error { return ErrInvalidDataset }

func datasetErrorf(name string, line int, column, format string, args ...any) error {
	return &DatasetError{Dataset: name, Line: line, Column: column, Problem: fmt.Sprintf(format, args...)}
}

func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}
