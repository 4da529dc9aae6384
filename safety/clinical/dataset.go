package clinical

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
)

// Dataset is a labelled golden set: cases with features, a binary label and subgroup
// values. Loaders return it validated: at least one case, every case with the same
// number of finite features, unique ids, a value for every subgroup column.
type Dataset struct {
	// Name identifies the data set in evidence, e.g. the file name.
	Name string
	// SHA256 is the lowercase hex SHA-256 of the exact bytes the data set was loaded
	// from, comparable with a policy's dataset_sha256.
	SHA256 string
	// PositiveLabel and NegativeLabel are the label values of the two classes, e.g.
	// "malignant" and "benign". A model's label output is read with the same names.
	PositiveLabel, NegativeLabel string
	// Cases in file order.
	Cases []Case
	// FeatureNames are the feature columns of a CSV file in order; nil for JSON Lines,
	// whose feature arrays are unnamed.
	FeatureNames []string
	// SubgroupColumns are the subgroup columns every case has a value for, in the order
	// the loader was given them.
	SubgroupColumns []string
}

// Case is one labelled case.
type Case struct {
	// ID is unique within the data set: the id column or field, or "row-N" (N the
	// 1-based data row) for a CSV file without an id column.
	ID string
	// Features are the model inputs in the order the model expects, all finite.
	Features []float64
	// Positive is the ground truth: true for the positive (diseased) class.
	Positive bool
	// Subgroups maps each of the data set's subgroup columns to this case's value.
	Subgroups map[string]string
}

// Positives returns the number of positive cases.
func (d *Dataset) Positives() int {
	n := 0
	for _, c := range d.Cases {
		if c.Positive {
			n++
		}
	}
	return n
}

// HasSubgroup reports whether column is one of the data set's subgroup columns.
func (d *Dataset) HasSubgroup(column string) bool {
	for _, c := range d.SubgroupColumns {
		if c == column {
			return true
		}
	}
	return false
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkLabels validates the label names given to a loader.
func checkLabels(name, positiveLabel, negativeLabel string) error {
	switch {
	case positiveLabel == "" || negativeLabel == "":
		return datasetErrorf(name, 0, "", "positive label %q and negative label %q: both must be non-empty, e.g. \"malignant\" and \"benign\"", positiveLabel, negativeLabel)
	case positiveLabel == negativeLabel:
		return datasetErrorf(name, 0, "", "positive and negative label are both %q: the classes need different names", positiveLabel)
	}
	return nil
}

// checkSubgroupNames validates the subgroup column names given to a loader.
func checkSubgroupNames(name string, subgroups []string) error {
	seen := map[string]bool{}
	for _, s := range subgroups {
		if s == "" {
			return datasetErrorf(name, 0, "", "subgroup column names must be non-empty")
		}
		if seen[s] {
			return datasetErrorf(name, 0, s, "subgroup column listed twice")
		}
		seen[s] = true
	}
	return nil
}
