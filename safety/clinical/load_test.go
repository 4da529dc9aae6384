package clinical

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// SHA-256 of the committed golden files (sha256sum examples/data/golden.*).
const (
	goldenCSVSHA256   = "93afc542e3f79a1767c040aee022d1719e8e223c55d236a4f469be32efe72e46"
	goldenJSONLSHA256 = "e1c8b378e64197eabfa20b21e2df18961495ef85d332dd0a6ef3503e462695a2"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadGoldenCSV(t testing.TB) *Dataset {
	t.Helper()
	ds, err := LoadCSV("golden.csv", readFile(t, "../../examples/data/golden.csv"), "malignant", "benign", []string{"size_band"})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestLoadGoldenSet(t *testing.T) {
	csvSet := loadGoldenCSV(t)
	jsonlSet, err := LoadJSONL("golden.jsonl", readFile(t, "../../examples/data/golden.jsonl"), "malignant", "benign", []string{"size_band"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		ds      *Dataset
		sha256  string
		firstID string
	}{
		{"csv", csvSet, goldenCSVSHA256, "row-1"},
		{"jsonl", jsonlSet, goldenJSONLSHA256, "wdbc-001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := tc.ds
			if len(ds.Cases) != 228 || ds.Positives() != 85 {
				t.Fatalf("%d cases, %d positive; want 228 and 85 (docs/demo-models.md)", len(ds.Cases), ds.Positives())
			}
			if ds.SHA256 != tc.sha256 {
				t.Errorf("SHA256 = %s, want %s", ds.SHA256, tc.sha256)
			}
			if ds.Cases[0].ID != tc.firstID {
				t.Errorf("first id %q, want %q", ds.Cases[0].ID, tc.firstID)
			}
			bands := map[string]int{}
			for _, c := range ds.Cases {
				if len(c.Features) != 30 {
					t.Fatalf("case %s has %d features, want 30", c.ID, len(c.Features))
				}
				bands[c.Subgroups["size_band"]]++
			}
			if !reflect.DeepEqual(bands, map[string]int{"small": 154, "large": 74}) {
				t.Errorf("size bands %v, want small 154, large 74", bands)
			}
			// wdbc-001: radius_mean 17.99 ... fractal_dimension_worst 0.1189, malignant.
			first := ds.Cases[0]
			if first.Features[0] != 17.99 || first.Features[29] != 0.1189 || !first.Positive {
				t.Errorf("first case %v positive %v, want radius_mean 17.99, last feature 0.1189, malignant", first.Features, first.Positive)
			}
		})
	}
	t.Run("formats agree", func(t *testing.T) {
		if csvSet.FeatureNames[0] != "radius_mean" || csvSet.FeatureNames[29] != "fractal_dimension_worst" || len(csvSet.FeatureNames) != 30 {
			t.Errorf("CSV feature names %v", csvSet.FeatureNames)
		}
		for i := range csvSet.Cases {
			a, b := csvSet.Cases[i], jsonlSet.Cases[i]
			if !reflect.DeepEqual(a.Features, b.Features) || a.Positive != b.Positive || !reflect.DeepEqual(a.Subgroups, b.Subgroups) {
				t.Fatalf("case %d differs: csv %+v, jsonl %+v", i, a, b)
			}
		}
	})
}

func TestLoadSmallFiles(t *testing.T) {
	want := []Case{
		{ID: "p-1", Features: []float64{1.5, -2}, Positive: true, Subgroups: map[string]string{"site": "north", "age_band": "40-49"}},
		{ID: "p-2", Features: []float64{2.25, 5}, Positive: false, Subgroups: map[string]string{"site": "south", "age_band": "50-59"}},
		{ID: "p-3", Features: []float64{0, 3}, Positive: false, Subgroups: map[string]string{"site": "north", "age_band": "40-49"}},
	}
	subgroups := []string{"site", "age_band"}
	t.Run("csv", func(t *testing.T) {
		ds, err := LoadCSV("small.csv", readFile(t, "testdata/small.csv"), "malignant", "benign", subgroups)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ds.Cases, want) {
			t.Errorf("cases %+v\nwant %+v", ds.Cases, want)
		}
		if !reflect.DeepEqual(ds.FeatureNames, []string{"f1", "f2"}) || !reflect.DeepEqual(ds.SubgroupColumns, subgroups) {
			t.Errorf("features %v, subgroups %v", ds.FeatureNames, ds.SubgroupColumns)
		}
	})
	t.Run("jsonl", func(t *testing.T) {
		ds, err := LoadJSONL("small.jsonl", readFile(t, "testdata/small.jsonl"), "malignant", "benign", subgroups)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ds.Cases, want) {
			t.Errorf("cases %+v\nwant %+v", ds.Cases, want)
		}
		if ds.FeatureNames != nil {
			t.Errorf("JSON Lines feature names %v, want nil", ds.FeatureNames)
		}
	})
	t.Run("csv text column not requested is descriptive, not a feature", func(t *testing.T) {
		ds, err := LoadCSV("small.csv", readFile(t, "testdata/small.csv"), "malignant", "benign", []string{"site"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ds.SubgroupColumns, []string{"site", "age_band"}) || ds.Cases[0].Subgroups["age_band"] != "40-49" {
			t.Errorf("subgroup columns %v, first case %+v; want age_band kept as a descriptive column", ds.SubgroupColumns, ds.Cases[0])
		}
		for _, f := range ds.FeatureNames {
			if f == "age_band" {
				t.Errorf("feature names %v include the text column age_band", ds.FeatureNames)
			}
		}
	})
}

func assertDatasetError(t *testing.T, err error, line int, column, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one at line %d column %q containing %q", line, column, contains)
	}
	var de *DatasetError
	if !errors.As(err, &de) || !errors.Is(err, ErrInvalidDataset) {
		t.Fatalf("error %v (%T) is not a *DatasetError wrapping ErrInvalidDataset", err, err)
	}
	if de.Line != line || de.Column != column || !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q at line %d column %q; want line %d column %q containing %q", err, de.Line, de.Column, line, column, contains)
	}
}

func TestLoadCSVErrors(t *testing.T) {
	const header = "id,f1,f2,label,site\n"
	for _, tc := range []struct {
		name      string
		data      string
		subgroups []string
		line      int
		column    string
		contains  string
	}{
		{"empty file", "", nil, 0, "", "the file is empty"},
		{"header only", header, []string{"site"}, 0, "", "no cases after the header"},
		{"no label column", "f1,f2\n1,2\n", nil, 1, "label", `no "label" column`},
		{"missing subgroup column", header + "a,1,2,benign,x\n", []string{"ward"}, 1, "ward", "subgroup column not in the header"},
		{"duplicate column", "f1,f1,label\n1,2,benign\n", nil, 1, "f1", "column appears twice"},
		{"empty column name", "f1,,label\n1,2,benign\n", nil, 1, "", "header field 2 is empty"},
		{"no features", "id,label,site\na,benign,x\n", []string{"site"}, 1, "", "no feature columns"},
		{"unknown label", header + "a,1,2,benign,x\nb,1,2,Malignant,x\n", []string{"site"}, 3, "label", `label "Malignant" is neither the positive label "malignant" nor the negative label "benign"`},
		{"not a number", header + "a,1,2,benign,x\nb,1,two,benign,x\n", []string{"site"}, 3, "f2", `value "two" is not a finite number`},
		{"empty feature", header + "a,1,,benign,x\n", []string{"site"}, 2, "f2", `value "" is not a finite number`},
		{"NaN feature", header + "a,NaN,1,benign,x\n", []string{"site"}, 2, "f1", `value "NaN" is not a finite number`},
		{"infinite feature", header + "a,1,+Inf,benign,x\n", []string{"site"}, 2, "f2", `value "+Inf" is not a finite number`},
		{"ragged row", header + "a,1,2,benign,x\nb,1,benign,x\n", []string{"site"}, 3, "", "4 fields, the header has 5"},
		{"duplicate id", header + "a,1,2,benign,x\nb,1,2,benign,x\na,3,4,malignant,y\n", []string{"site"}, 4, "id", `id "a" repeats the id of line 2`},
		{"empty id", header + ",1,2,benign,x\n", []string{"site"}, 2, "id", "empty id"},
		{"empty subgroup value", header + "a,1,2,benign,\n", []string{"site"}, 2, "site", "empty subgroup value"},
		{"malformed quotes", header + "a,1,2,\"benign,x\n", []string{"site"}, 2, "", "malformed CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCSV("t.csv", []byte(tc.data), "malignant", "benign", tc.subgroups)
			assertDatasetError(t, err, tc.line, tc.column, tc.contains)
		})
	}
	t.Run("label names", func(t *testing.T) {
		_, err := LoadCSV("t.csv", []byte(header), "same", "same", nil)
		assertDatasetError(t, err, 0, "", "the classes need different names")
		_, err = LoadCSV("t.csv", []byte(header), "", "benign", nil)
		assertDatasetError(t, err, 0, "", "both must be non-empty")
		_, err = LoadCSV("t.csv", []byte(header), "malignant", "benign", []string{"site", "site"})
		assertDatasetError(t, err, 0, "site", "subgroup column listed twice")
	})
}

func TestLoadJSONLErrors(t *testing.T) {
	const ok = `{"id":"a","features":[1,2],"label":"benign","subgroups":{"site":"x"}}` + "\n"
	for _, tc := range []struct {
		name     string
		data     string
		line     int
		column   string
		contains string
	}{
		{"empty", "", 0, "", "no cases"},
		{"not json", ok + "{id: 1}\n", 2, "", "not a case object"},
		{"unknown field", ok + `{"id":"b","features":[1,2],"label":"benign","subgroups":{"site":"x"},"extra":1}` + "\n", 2, "", `unknown field "extra"`},
		{"trailing data", ok + `{"id":"b","features":[1,2],"label":"benign","subgroups":{"site":"x"}} {}` + "\n", 2, "", "data after the case object"},
		{"blank line", ok + "\n" + ok, 2, "", "blank line"},
		{"missing id", `{"features":[1,2],"label":"benign","subgroups":{"site":"x"}}`, 1, "id", "missing or empty"},
		{"missing features", `{"id":"a","label":"benign","subgroups":{"site":"x"}}`, 1, "features", "missing or empty"},
		{"null feature", `{"id":"a","features":[1,null],"label":"benign","subgroups":{"site":"x"}}`, 1, "features[1]", "null is not a number"},
		{"string feature", `{"id":"a","features":[1,"2"],"label":"benign","subgroups":{"site":"x"}}`, 1, "", "cannot unmarshal string"},
		{"ragged", ok + `{"id":"b","features":[1],"label":"benign","subgroups":{"site":"x"}}`, 2, "features", "1 features, line 1 has 2"},
		{"missing label", `{"id":"a","features":[1,2],"subgroups":{"site":"x"}}`, 1, "label", `missing: want "malignant" or "benign"`},
		{"unknown label", ok + `{"id":"b","features":[1,2],"label":"maybe","subgroups":{"site":"x"}}`, 2, "label", `label "maybe" is neither`},
		{"missing subgroup", ok + `{"id":"b","features":[1,2],"label":"benign","subgroups":{"ward":"x"}}`, 2, "subgroups.site", "missing or empty"},
		{"duplicate id", ok + ok, 2, "id", `id "a" repeats the id of line 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadJSONL("t.jsonl", []byte(tc.data), "malignant", "benign", []string{"site"})
			assertDatasetError(t, err, tc.line, tc.column, tc.contains)
		})
	}
	t.Run("crlf and no final newline", func(t *testing.T) {
		data := strings.ReplaceAll(ok, "\n", "\r\n") + `{"id":"b","features":[3,4],"label":"malignant","subgroups":{"site":"y"}}`
		ds, err := LoadJSONL("t.jsonl", []byte(data), "malignant", "benign", []string{"site"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Cases) != 2 || !ds.Cases[1].Positive || ds.Cases[1].Subgroups["site"] != "y" {
			t.Errorf("cases %+v", ds.Cases)
		}
	})
}
