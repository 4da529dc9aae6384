// Command modeltrain reproduces Vigil's demo models and golden validation set from the
// Breast Cancer Wisconsin (Diagnostic) data set:
//
//	go run ./examples/modeltrain -data examples/data -out examples/models
//
// It reads DATA/wdbc/breast_cancer.csv, holds out a stratified 40 % golden set (written to
// DATA/golden.csv and DATA/golden.jsonl), trains the versions of service breast-cancer-dx
// (written to OUT/<version>.json) and prints each version's golden-set confusion matrix,
// sensitivity and specificity with 95 % Wilson intervals. Running it again rewrites the same
// bytes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modeltrain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "examples/data", "directory holding wdbc/breast_cancer.csv; golden.csv and golden.jsonl are written here")
	outDir := fs.String("out", "examples/models", "directory the model files <version>.json are written to")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "modeltrain: unexpected arguments %q: all options are flags\n", fs.Args())
		return 2
	}
	a, err := buildFromDir(*dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "modeltrain: %v\n", err)
		return 1
	}
	files := a.outputs(*dataDir, *outDir)
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "modeltrain: create output directory: %v\n", err)
		return 1
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := os.WriteFile(p, files[p], 0o644); err != nil {
			fmt.Fprintf(stderr, "modeltrain: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	fmt.Fprintln(stdout)
	for _, tm := range a.models {
		c := tm.overall
		fmt.Fprintf(stdout, "%s (%d features, threshold %g)\n", tm.model.Version, len(tm.model.Features), tm.model.Threshold)
		fmt.Fprintf(stdout, "                    predicted malignant  predicted benign\n")
		fmt.Fprintf(stdout, "  label malignant   %19d  %16d\n", c.TP, c.FN)
		fmt.Fprintf(stdout, "  label benign      %19d  %16d\n", c.FP, c.TN)
		fmt.Fprintf(stdout, "  sensitivity %s\n  specificity %s\n\n", c.Sensitivity(), c.Specificity())
	}
	fmt.Fprint(stdout, a.summary())
	return 0
}

// sourceFile is the data set inside the data directory.
func sourceFile(dataDir string) string { return filepath.Join(dataDir, "wdbc", "breast_cancer.csv") }

// outputs maps every file the program writes to its content.
func (a artifacts) outputs(dataDir, outDir string) map[string][]byte {
	files := map[string][]byte{
		filepath.Join(dataDir, "golden.csv"):   a.goldenCSV,
		filepath.Join(dataDir, "golden.jsonl"): a.goldenJSONL,
	}
	for _, tm := range a.models {
		files[filepath.Join(outDir, tm.model.Version+".json")] = tm.file
	}
	return files
}
