package wdbc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

const dataFile = "../../data/wdbc/breast_cancer.csv"

func TestLoadUCIReadsTheShippedDataSet(t *testing.T) {
	cases, err := LoadUCI(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[Class]int{}
	for _, c := range cases {
		counts[c.Label]++
	}
	if len(cases) != 569 || counts[Malignant] != 212 || counts[Benign] != 357 {
		t.Fatalf("read %d cases (%d malignant, %d benign), want 569 (212, 357)", len(cases), counts[Malignant], counts[Benign])
	}
	first := cases[0]
	if first.ID != "wdbc-001" || first.Features[0] != 17.99 || first.Features[NumFeatures-1] != 0.1189 || first.Label != Malignant {
		t.Errorf("first case %+v, want wdbc-001 with radius_mean 17.99, fractal_dimension_worst 0.1189, malignant", first)
	}
}

func TestReadUCIRejectsBadInput(t *testing.T) {
	row := strings.Repeat("1,", NumFeatures)
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{name: "empty", input: "", wantErr: "empty file"},
		{name: "wrong header", input: "radius_mean,texture_mean\n", wantErr: "want rows,30,malignant,benign"},
		{name: "wrong feature count", input: "1,29,malignant,benign\n", wantErr: "feature count"},
		{name: "short row", input: "1,30,malignant,benign\n1,2,3\n", wantErr: "test.csv:2: 3 columns"},
		{name: "not a number", input: "1,30,malignant,benign\nx," + row[2:] + "0\n", wantErr: "column 1 (radius_mean)"},
		{name: "nan", input: "1,30,malignant,benign\n" + row[:len(row)-2] + "NaN,0\n", wantErr: "fractal_dimension_worst"},
		{name: "bad label", input: "1,30,malignant,benign\n" + row + "2\n", wantErr: "want 0 (malignant) or 1 (benign)"},
		{name: "row count mismatch", input: "2,30,malignant,benign\n" + row + "0\n", wantErr: "announces 2 cases but the file has 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadUCI(strings.NewReader(tt.input), "test.csv")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSplitIsStratifiedDeterministicAndDisjoint(t *testing.T) {
	cases, err := LoadUCI(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	train, golden, err := Split(cases, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	count := func(cs []Case, class Class) int {
		n := 0
		for _, c := range cs {
			if c.Label == class {
				n++
			}
		}
		return n
	}
	if got := count(golden, Malignant); got != 85 {
		t.Errorf("golden malignant %d, want round(0.4*212) = 85", got)
	}
	if got := count(golden, Benign); got != 143 {
		t.Errorf("golden benign %d, want round(0.4*357) = 143", got)
	}
	if len(train)+len(golden) != len(cases) {
		t.Errorf("train %d + golden %d != %d cases", len(train), len(golden), len(cases))
	}
	inGolden := map[string]bool{}
	for _, c := range golden {
		inGolden[c.ID] = true
	}
	for _, c := range train {
		if inGolden[c.ID] {
			t.Errorf("case %s is in both parts", c.ID)
		}
	}
	_, again, err := Split(cases, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range golden {
		if golden[i].ID != again[i].ID {
			t.Fatalf("second split differs at %d: %s vs %s", i, golden[i].ID, again[i].ID)
		}
	}
}

func TestSplitRejectsBadInput(t *testing.T) {
	ok := Case{ID: "a", Features: make([]float64, NumFeatures), Label: Benign}
	tests := []struct {
		name     string
		cases    []Case
		fraction float64
		wantErr  string
	}{
		{name: "fraction zero", cases: []Case{ok}, fraction: 0, wantErr: "strictly between 0 and 1"},
		{name: "fraction one", cases: []Case{ok}, fraction: 1, wantErr: "strictly between 0 and 1"},
		{name: "duplicate id", cases: []Case{ok, ok}, fraction: 0.5, wantErr: "appears twice"},
		{name: "unknown label", cases: []Case{{ID: "b", Features: ok.Features}}, fraction: 0.5, wantErr: "want malignant or benign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Split(tt.cases, tt.fraction); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestGoldenJSONLRoundTrip(t *testing.T) {
	cases, err := LoadUCI(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteGoldenJSONL(&buf, cases[:20]); err != nil {
		t.Fatal(err)
	}
	back, err := ReadGoldenJSONL(bytes.NewReader(buf.Bytes()), "golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 20 {
		t.Fatalf("read %d cases, want 20", len(back))
	}
	for i, c := range back {
		want := cases[i]
		if c.ID != want.ID || c.Label != want.Label {
			t.Errorf("case %d: %s %v, want %s %v", i, c.ID, c.Label, want.ID, want.Label)
		}
		for j := range c.Features {
			if c.Features[j] != want.Features[j] {
				t.Errorf("case %s feature %d: %v, want %v", c.ID, j, c.Features[j], want.Features[j])
			}
		}
	}
}

func TestReadGoldenJSONLRejectsBadInput(t *testing.T) {
	features := "[" + strings.TrimSuffix(strings.Repeat("1,", NumFeatures), ",") + "]"
	tests := []struct {
		name    string
		line    string
		wantErr string
	}{
		{name: "unknown field", line: `{"id":"a","features":` + features + `,"label":"benign","subgroups":{"size_band":"small"},"extra":1}`, wantErr: "unknown field"},
		{name: "missing label", line: `{"id":"a","features":` + features + `,"subgroups":{"size_band":"small"}}`, wantErr: "field label: missing"},
		{name: "bad label", line: `{"id":"a","features":` + features + `,"label":"cancer","subgroups":{"size_band":"small"}}`, wantErr: `invalid diagnosis "cancer"`},
		{name: "short features", line: `{"id":"a","features":[1,2],"label":"benign","subgroups":{"size_band":"small"}}`, wantErr: "2 values, want 30"},
		{name: "missing subgroup", line: `{"id":"a","features":` + features + `,"label":"benign","subgroups":{}}`, wantErr: "subgroups.size_band: missing"},
		{name: "subgroup disagrees with radius", line: `{"id":"a","features":` + features + `,"label":"benign","subgroups":{"size_band":"large"}}`, wantErr: "puts the case in small"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadGoldenJSONL(strings.NewReader(tt.line+"\n"), "golden.jsonl")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "golden.jsonl:1") {
				t.Errorf("error %v, want one at golden.jsonl:1 containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadCasesDispatchesOnExtension(t *testing.T) {
	golden, err := LoadCases("../../data/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	full, err := LoadCases(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(golden) != 228 || len(full) != 569 {
		t.Errorf("golden %d cases, full %d; want 228 and 569", len(golden), len(full))
	}
	if _, err := LoadCases("cases.txt"); err == nil || !strings.Contains(err.Error(), `extension ".txt"`) {
		t.Errorf("error %v, want one naming the extension", err)
	}
}

func TestSizeBandIsDerivedFromRadiusMean(t *testing.T) {
	tests := []struct {
		radius float64
		want   SizeBand
	}{{14.99, SizeBandSmall}, {15, SizeBandLarge}, {28.1, SizeBandLarge}, {6.9, SizeBandSmall}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("radius_mean %v", tt.radius), func(t *testing.T) {
			if got := SizeBandOf(tt.radius); got != tt.want {
				t.Errorf("SizeBandOf(%v) = %v, want %v", tt.radius, got, tt.want)
			}
		})
	}
}
