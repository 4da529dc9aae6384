package router

import (
	"errors"
	"strings"
	"testing"
)

var (
	prod   = MustParseVersion("2.2.0-PRODUCTION")
	cand   = MustParseVersion("2.3.0-CLINICALVALID")
	precl  = MustParseVersion("2.4.0-PRECLINICAL")
	invest = MustParseVersion("2.4.1-CLINICALINV")
)

func registered(service string, vs ...Version) []ModelVersion {
	var out []ModelVersion
	for i, v := range vs {
		out = append(out, ModelVersion{Service: service, Version: v, Backends: []Backend{{Address: "127.0.0.1:" + string(rune('1'+i)) + "000"}}})
	}
	return out
}

func TestValidateRouteTable(t *testing.T) {
	versions := registered("triage", prod, cand, precl, invest)
	valid := RouteTable{Service: "triage", Split: []Split{{prod, 9000}, {cand, 1000}}}
	tests := []struct {
		name   string
		mutate func(*RouteTable)
		want   []string // fragments; each must appear in the error
	}{
		{name: "valid", mutate: func(*RouteTable) {}},
		{name: "valid with pins and mirror", mutate: func(rt *RouteTable) {
			rt.Pins = []HeaderPin{{"x-model-version", "2.4.0-PRECLINICAL", precl}}
			rt.Mirror = &Mirror{Version: precl, Percent: 500}
		}},
		{name: "sum below", mutate: func(rt *RouteTable) { rt.Split[1].Weight = 999 },
			want: []string{"split = [2.2.0-PRODUCTION=9000 2.3.0-CLINICALVALID=999]", "sum to 9999 basis points", "exactly 10000"}},
		{name: "sum above", mutate: func(rt *RouteTable) { rt.Split[0].Weight = 9001 }, want: []string{"sum to 10001"}},
		{name: "weight above total", mutate: func(rt *RouteTable) { rt.Split[0].Weight = 20000 },
			want: []string{"split[0].weight = 20000", "above 10000"}},
		{name: "empty split", mutate: func(rt *RouteTable) { rt.Split = nil }, want: []string{"split = []", "at least one version"}},
		{name: "unknown version", mutate: func(rt *RouteTable) { rt.Split[1].Version = MustParseVersion("9.9.9-PRODUCTION") },
			want: []string{"split[1].version = 9.9.9-PRODUCTION", "not registered", "2.3.0-CLINICALVALID"}},
		{name: "duplicate", mutate: func(rt *RouteTable) { rt.Split[1].Version = prod },
			want: []string{"split[1].version = 2.2.0-PRODUCTION", "duplicate of split[0]"}},
		{name: "preclinical weighted", mutate: func(rt *RouteTable) { rt.Split[1].Version = precl },
			want: []string{"split[1].weight = 1000", "PRECLINICAL versions serve no share"}},
		{name: "clinical investigation weighted", mutate: func(rt *RouteTable) { rt.Split[1].Version = invest },
			want: []string{"CLINICALINV versions serve no share"}},
		{name: "bad pin", mutate: func(rt *RouteTable) {
			rt.Pins = []HeaderPin{{"X-Model", "", cand}, {"x-a", "1", cand}, {"x-a", "1", prod}}
		}, want: []string{`pins[0].header = X-Model`, "pins[0].value", "pins[2] = x-a=1: duplicate of pins[1]"}},
		{name: "bad mirror", mutate: func(rt *RouteTable) { rt.Mirror = &Mirror{Version: cand, Percent: 0} },
			want: []string{"mirror.percent = 0"}},
		{name: "bad retry", mutate: func(rt *RouteTable) {
			rt.Retry = &RetryPolicy{NumRetries: 11, RetryOn: []string{"sometimes"}}
		}, want: []string{"retry.num_retries = 11", "retry.retry_on[0] = sometimes"}},
		{name: "bad service", mutate: func(rt *RouteTable) { rt.Service = "Triage_1" }, want: []string{`service = Triage_1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := valid.Clone()
			tt.mutate(&rt)
			err := ValidateRouteTable(rt, versions)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want a *ValidationError", err)
			}
			for _, frag := range tt.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not contain %q", err, frag)
				}
			}
		})
	}
}

func TestValidateModelVersion(t *testing.T) {
	good := ModelVersion{Service: "triage", Version: prod, Backends: []Backend{{Address: "10.0.0.1:8080"}, {Address: "model-a.internal:9000", Locality: Locality{Zone: "a"}}}}
	if err := ValidateModelVersion(good); err != nil {
		t.Fatalf("valid version rejected: %v", err)
	}
	bad := ModelVersion{Service: "triage", Version: prod, Backends: []Backend{{Address: "10.0.0.1"}, {Address: "10.0.0.1:0"}, {Address: "bad_host:80"}, {Address: "a:1"}, {Address: "a:1"}}}
	err := ValidateModelVersion(bad)
	for _, frag := range []string{"backends[0].address = 10.0.0.1", "backends[1].address = 10.0.0.1:0", "backends[2].address = bad_host:80", "backends[4].address = a:1: duplicate"} {
		if err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("error %v does not contain %q", err, frag)
		}
	}
	if err := ValidateModelVersion(ModelVersion{Service: "triage", Version: prod}); err == nil || !strings.Contains(err.Error(), "at least one backend") {
		t.Errorf("no backends: %v", err)
	}
}

func TestValidateServiceName(t *testing.T) {
	for _, ok := range []string{"chest-xray-triage", "a", "a1", "breast-cancer-dx"} {
		if err := ValidateServiceName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1abc", "-a", "a-", "A", "a_b", "a.b", strings.Repeat("a", 64)} {
		if err := ValidateServiceName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNormalizeAndPins(t *testing.T) {
	rt := RouteTable{Service: "triage", Split: []Split{{cand, 1000}, {precl, 0}, {prod, 9000}}}
	rt = rt.Pin("x-model-version", "b", cand).Pin("x-model-version", "a", prod).Pin("x-model-version", "b", prod)
	rt.Normalize()
	if len(rt.Split) != 2 || rt.Split[0].Version != prod || rt.Split[1].Version != cand {
		t.Fatalf("split = %+v, want prod then cand without the zero entry", rt.Split)
	}
	if len(rt.Pins) != 2 || rt.Pins[0].Value != "a" || rt.Pins[1].Version != prod {
		t.Fatalf("pins = %+v, want a->prod, b->prod (replaced)", rt.Pins)
	}
	out, ok := rt.Unpin("x-model-version", "a")
	if !ok || len(out.Pins) != 1 || len(rt.Pins) != 2 {
		t.Fatalf("Unpin = %+v, %v; original must stay unchanged", out.Pins, ok)
	}
	if _, ok := rt.Unpin("x-model-version", "zzz"); ok {
		t.Fatal("Unpin of a missing pin reported success")
	}
	if !rt.References(prod) || !rt.References(cand) || rt.References(precl) {
		t.Fatal("References is wrong")
	}
}
