// Package wdbc reads the Breast Cancer Wisconsin (Diagnostic) data set shipped in
// examples/data/wdbc, splits it into a training part and a held-out golden validation set,
// and reads and writes that golden set as CSV and JSON Lines.
//
// The data set is by W. H. Wolberg, W. N. Street and O. L. Mangasarian (University of
// Wisconsin, 1995), distributed by the UCI Machine Learning Repository under CC BY 4.0; see
// examples/data/wdbc/README.md for the attribution and reference.
package wdbc

import "fmt"

// NumFeatures is the number of numeric features per case.
const NumFeatures = 30

// featureNames lists the 30 features in file order: the ten nuclear measurements as means,
// then as standard errors, then as "worst" (mean of the three largest) values.
var featureNames = [NumFeatures]string{
	"radius_mean", "texture_mean", "perimeter_mean", "area_mean", "smoothness_mean",
	"compactness_mean", "concavity_mean", "concave_points_mean", "symmetry_mean",
	"fractal_dimension_mean",
	"radius_se", "texture_se", "perimeter_se", "area_se", "smoothness_se",
	"compactness_se", "concavity_se", "concave_points_se", "symmetry_se",
	"fractal_dimension_se",
	"radius_worst", "texture_worst", "perimeter_worst", "area_worst", "smoothness_worst",
	"compactness_worst", "concavity_worst", "concave_points_worst", "symmetry_worst",
	"fractal_dimension_worst",
}

// FeatureNames returns the 30 snake_case feature names in the canonical order used by every
// feature vector in Vigil's demo (data files, model inputs, inference requests). The caller
// owns the returned slice.
func FeatureNames() []string {
	names := make([]string, NumFeatures)
	copy(names, featureNames[:])
	return names
}

// FeatureIndex returns the position of the named feature in the canonical order, or an error
// naming the unknown feature.
func FeatureIndex(name string) (int, error) {
	for i, n := range featureNames {
		if n == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown feature %q: want one of the 30 wdbc feature names such as radius_mean or fractal_dimension_worst", name)
}

// RadiusMeanIndex is the position of radius_mean, the feature that defines SizeBand.
const RadiusMeanIndex = 0
