package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
	"github.com/seed70a3350f/vigil/examples/modeltrain/evaluate"
	"github.com/seed70a3350f/vigil/examples/modeltrain/logreg"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

// service is the Vigil service all demo versions belong to.
const service = "breast-cancer-dx"

// goldenFraction of each class is held out as the golden validation set (85 of 212
// malignant, 143 of 357 benign cases).
const goldenFraction = 0.4

// trainConfig is shared by every version: the versions differ only in features and threshold.
var trainConfig = logreg.Config{L2: 1, Iterations: 25, Tolerance: 1e-8}

// significantDigits is the precision of the parameters written to model files. Rounding
// keeps the files byte-identical across platforms whose floating-point summation differs in
// the last bits; every figure is computed with the rounded parameters actually served.
const significantDigits = 9

// modelSpec is the recipe of one demo version.
type modelSpec struct {
	version   string
	features  []string
	threshold float64
	// purpose starts the model file's description.
	purpose string
}

func modelSpecs() []modelSpec {
	names := wdbc.FeatureNames()
	return []modelSpec{
		{
			version:   "1.0.0-PRODUCTION",
			features:  names[20:30],
			threshold: 0.5,
			purpose:   "Current production model. Uses the 10 \"worst\" features (mean of the three largest values of each nuclear measurement).",
		},
		{
			version:   "1.1.0-CLINICALVALID",
			features:  names,
			threshold: 0.5,
			purpose:   "Good candidate. Uses all 30 features (means, standard errors and worst values).",
		},
		{
			version:   "1.2.0-CLINICALVALID",
			features:  []string{"texture_mean", "smoothness_mean", "symmetry_mean", "fractal_dimension_mean"},
			threshold: 0.5,
			purpose: "Degraded candidate for exercising rollback, not for clinical use. Deliberately restricted to four weak features " +
				"(texture_mean, smoothness_mean, symmetry_mean, fractal_dimension_mean) that carry none of the size and concavity " +
				"signal, so it misses clearly more malignant cases than the other versions.",
		},
	}
}

// trainedModel is one version with its golden-set evaluation.
type trainedModel struct {
	model *demomodel.Model
	file  []byte
	// overall and bySizeBand count golden-set predictions made with the rounded model.
	overall    evaluate.Confusion
	bySizeBand map[wdbc.SizeBand]evaluate.Confusion
}

// artifacts is everything the training program writes, computed in memory.
type artifacts struct {
	train, golden []wdbc.Case
	goldenCSV     []byte
	goldenJSONL   []byte
	models        []trainedModel
}

// buildFromDir runs build on DATA/wdbc/breast_cancer.csv.
func buildFromDir(dataDir string) (artifacts, error) {
	cases, err := wdbc.LoadUCI(sourceFile(dataDir))
	if err != nil {
		return artifacts{}, err
	}
	return build(cases)
}

// build splits the data set, writes the golden set, trains and evaluates every version.
func build(cases []wdbc.Case) (artifacts, error) {
	train, golden, err := wdbc.Split(cases, goldenFraction)
	if err != nil {
		return artifacts{}, fmt.Errorf("split: %w", err)
	}
	a := artifacts{train: train, golden: golden}
	var csvBuf, jsonlBuf bytes.Buffer
	if err := wdbc.WriteGoldenCSV(&csvBuf, golden); err != nil {
		return artifacts{}, err
	}
	if err := wdbc.WriteGoldenJSONL(&jsonlBuf, golden); err != nil {
		return artifacts{}, err
	}
	a.goldenCSV, a.goldenJSONL = csvBuf.Bytes(), jsonlBuf.Bytes()
	for _, spec := range modelSpecs() {
		tm, err := trainVersion(spec, train, golden)
		if err != nil {
			return artifacts{}, fmt.Errorf("version %s: %w", spec.version, err)
		}
		a.models = append(a.models, tm)
	}
	return a, nil
}

func trainVersion(spec modelSpec, train, golden []wdbc.Case) (trainedModel, error) {
	index := make([]int, len(spec.features))
	for j, name := range spec.features {
		i, err := wdbc.FeatureIndex(name)
		if err != nil {
			return trainedModel{}, err
		}
		index[j] = i
	}
	x := make([][]float64, len(train))
	y := make([]bool, len(train))
	malignant := 0
	for r, c := range train {
		row := make([]float64, len(index))
		for j, i := range index {
			row[j] = c.Features[i]
		}
		x[r] = row
		y[r] = c.Label == wdbc.Malignant
		if y[r] {
			malignant++
		}
	}
	fit, err := logreg.Train(x, y, trainConfig)
	if err != nil {
		return trainedModel{}, err
	}
	m := &demomodel.Model{
		Service:   service,
		Version:   spec.version,
		Features:  append([]string(nil), spec.features...),
		Mean:      roundAll(fit.Mean),
		Std:       roundAll(fit.Std),
		Weights:   roundAll(fit.Weights),
		Bias:      round(fit.Bias),
		Threshold: spec.threshold,
		Description: fmt.Sprintf("%s L2-regularised logistic regression (lambda %g on standardised features, %d Newton steps, "+
			"no randomness) trained on %d wdbc cases (%d malignant) held apart from the golden set; decision threshold %g.",
			spec.purpose, trainConfig.L2, trainConfig.Iterations, len(train), malignant, spec.threshold),
	}
	file, err := m.Encode()
	if err != nil {
		return trainedModel{}, err
	}
	predictor, err := demomodel.NewPredictor(m)
	if err != nil {
		return trainedModel{}, err
	}
	tm := trainedModel{model: m, file: file, bySizeBand: map[wdbc.SizeBand]evaluate.Confusion{}}
	for _, c := range golden {
		predicted := predictor.Predict(c.Features).Class
		if err := tm.overall.Add(c.Label, predicted); err != nil {
			return trainedModel{}, fmt.Errorf("case %s: %w", c.ID, err)
		}
		band := tm.bySizeBand[c.SizeBand()]
		if err := band.Add(c.Label, predicted); err != nil {
			return trainedModel{}, fmt.Errorf("case %s: %w", c.ID, err)
		}
		tm.bySizeBand[c.SizeBand()] = band
	}
	return tm, nil
}

func round(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', significantDigits, 64), 64)
	if err != nil {
		panic(fmt.Sprintf("round %v: %v", v, err)) // FormatFloat output always parses
	}
	return r
}

func roundAll(vs []float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = round(v)
	}
	return out
}

// summary renders the golden-set results as the Markdown tables kept in docs/demo-models.md.
func (a artifacts) summary() string {
	var b strings.Builder
	malignant, benign := 0, 0
	for _, c := range a.golden {
		if c.Label == wdbc.Malignant {
			malignant++
		} else {
			benign++
		}
	}
	fmt.Fprintf(&b, "Golden set: %d cases (%d malignant, %d benign); training set: %d cases.\n\n", len(a.golden), malignant, benign, len(a.train))
	b.WriteString("| version | features | TP | FN | TN | FP | sensitivity (95% Wilson CI) | specificity (95% Wilson CI) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, tm := range a.models {
		c := tm.overall
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %s |\n", tm.model.Version, len(tm.model.Features),
			c.TP, c.FN, c.TN, c.FP, formatProportion(c.Sensitivity()), formatProportion(c.Specificity()))
	}
	b.WriteString("\nBy size_band (small: radius_mean < 15, large: radius_mean >= 15):\n\n")
	b.WriteString("| version | size_band | sensitivity (95% Wilson CI) | specificity (95% Wilson CI) |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, tm := range a.models {
		for _, band := range []wdbc.SizeBand{wdbc.SizeBandSmall, wdbc.SizeBandLarge} {
			c := tm.bySizeBand[band]
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", tm.model.Version, band,
				formatProportion(c.Sensitivity()), formatProportion(c.Specificity()))
		}
	}
	return b.String()
}

func formatProportion(p evaluate.Proportion) string {
	if p.Trials == 0 {
		return "no cases"
	}
	return fmt.Sprintf("%d/%d = %.3f (%.3f-%.3f)", p.Successes, p.Trials, p.Estimate, p.Lower, p.Upper)
}
