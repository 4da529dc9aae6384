package router

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr string
	}{
		{in: "2.2.0-PRODUCTION", want: Version{2, 2, 0, Production}},
		{in: "0.0.1-PRECLINICAL", want: Version{0, 0, 1, Preclinical}},
		{in: "10.20.30-POSTMARKET", want: Version{10, 20, 30, PostMarket}},
		{in: "2.1.3-CLINICALINV", want: Version{2, 1, 3, ClinicalInvestigation}},
		{in: "2.2.0", wantErr: "phase missing"},
		{in: "2.2-PRODUCTION", wantErr: "2 numeric parts, want 3"},
		{in: "2.02.0-PRODUCTION", wantErr: "minor part \"02\": leading zero"},
		{in: "2.x.0-PRODUCTION", wantErr: "not a decimal number"},
		{in: "2.2.0-production", wantErr: `unknown phase "production"`},
		{in: "2.2.0-BETA", wantErr: "want one of PRECLINICAL, CLINICALINV"},
		{in: "4294967296.0.0-PRODUCTION", wantErr: "out of range"},
		{in: "", wantErr: "phase missing"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVersion(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseVersion(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseVersion(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Fatalf("String() = %q, want the input %q back", got.String(), tt.in)
			}
		})
	}
}

func TestVersionOrder(t *testing.T) {
	ordered := []string{
		"1.9.9-POSTMARKET",
		"2.1.0-PRECLINICAL",
		"2.1.3-CLINICALINV",
		"2.1.5-CLINICALVALID",
		"2.2.0-PRECLINICAL",
		"2.2.0-PRODUCTION",
		"2.2.0-FDAAPPROVED",
		"2.2.1-FDAAPPROVED",
		"2.10.0-PRODUCTION",
		"10.0.0-PRECLINICAL",
	}
	var vs []Version
	for _, s := range ordered {
		vs = append(vs, MustParseVersion(s))
	}
	shuffled := slices.Clone(vs)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, Version.Compare)
	if !slices.Equal(shuffled, vs) {
		t.Fatalf("sorted = %v, want %v", shuffled, vs)
	}
	for i := range vs {
		if vs[i].Compare(vs[i]) != 0 {
			t.Errorf("%s.Compare(itself) != 0", vs[i])
		}
		if i > 0 && (vs[i-1].Compare(vs[i]) != -1 || vs[i].Compare(vs[i-1]) != 1) {
			t.Errorf("%s and %s are not ordered", vs[i-1], vs[i])
		}
	}
}

func TestVersionJSON(t *testing.T) {
	in := Split{Version: MustParseVersion("2.2.0-PRODUCTION"), Weight: 9000}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"version":"2.2.0-PRODUCTION","weight":9000}` {
		t.Fatalf("json = %s", b)
	}
	var out Split
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"version":"2.2-PRODUCTION"}`), &out); err == nil || !strings.Contains(err.Error(), "2.2-PRODUCTION") {
		t.Fatalf("bad version error = %v, want the value named", err)
	}
}

func TestPhaseServesWeightedTraffic(t *testing.T) {
	for _, p := range Phases {
		want := p != Preclinical && p != ClinicalInvestigation
		if got := p.ServesWeightedTraffic(); got != want {
			t.Errorf("%s.ServesWeightedTraffic() = %v, want %v", p, got, want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    BasisPoints
		wantErr string
	}{
		{"100", 10000, ""},
		{"0", 0, ""},
		{"12.5", 1250, ""},
		{"12.50", 1250, ""},
		{"0.01", 1, ""},
		{"33.33", 3333, ""},
		{"99.99%", 9999, ""},
		{"12.345", 0, "at most 2"},
		{"100.01", 0, "above 100"},
		{"101", 0, "above 100"},
		{"-5", 0, "not a number"},
		{"1e2", 0, "not a number"},
		{".5", 0, "not a number"},
		{"5.", 0, "not a number"},
		{"", 0, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePercent(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePercent(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParsePercent(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	if s := BasisPoints(1250).String(); s != "12.50%" {
		t.Errorf("String() = %q", s)
	}
}
