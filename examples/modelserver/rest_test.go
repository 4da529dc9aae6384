package modelserver

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/oip"
)

func TestRESTHealthAndMetadata(t *testing.T) {
	s := startServer(t, versionCandidate, Faults{})
	base := "http://" + s.RESTAddr()
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "live", path: "/v2/health/live", wantStatus: 200, wantBody: `{"live":true}`},
		{name: "ready", path: "/v2/health/ready", wantStatus: 200, wantBody: `{"ready":true}`},
		{name: "model ready", path: "/v2/models/breast-cancer-dx/ready", wantStatus: 200, wantBody: `{"name":"breast-cancer-dx","ready":true}`},
		{name: "version ready", path: "/v2/models/breast-cancer-dx/versions/1.1.0-CLINICALVALID/ready", wantStatus: 200, wantBody: `"ready":true`},
		{name: "server metadata", path: "/v2", wantStatus: 200, wantBody: `"name":"vigil-modelserver"`},
		{name: "model metadata", path: "/v2/models/breast-cancer-dx", wantStatus: 200,
			wantBody: `"versions":["1.1.0-CLINICALVALID"],"platform":"vigil-logistic-regression","inputs":[{"name":"features","datatype":"FP64","shape":[-1,30]}]`},
		{name: "unknown model", path: "/v2/models/chest-xray", wantStatus: 404, wantBody: `this server serves \"breast-cancer-dx\"`},
		{name: "unknown version", path: "/v2/models/breast-cancer-dx/versions/9.9.9-PRODUCTION/ready", wantStatus: 404, wantBody: `serves version \"1.1.0-CLINICALVALID\"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := doJSON(t, http.MethodGet, base+tt.path, nil, nil)
			if status != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("GET %s = %d %s, want %d with %s", tt.path, status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestRESTBatchAgreesWithTheTrainingCode sends the whole golden set as one [228, 30] batch
// and requires every answer to equal the prediction of the code the training program
// evaluated the model with, up to FP32 rounding of the probability.
func TestRESTBatchAgreesWithTheTrainingCode(t *testing.T) {
	for _, version := range []string{versionProd, versionCandidate, versionDegraded} {
		t.Run(version, func(t *testing.T) {
			s := startServer(t, version, Faults{})
			cases := goldenCases(t)
			req, err := oip.NewInferenceRequest("golden-batch", rows(cases))
			if err != nil {
				t.Fatal(err)
			}
			status, header, body := doJSON(t, http.MethodPost, inferURL(s), req, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if got := header.Get(oip.ModelVersionHeader); got != version {
				t.Errorf("header %s = %q, want %q", oip.ModelVersionHeader, got, version)
			}
			var resp oip.InferenceResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.ModelName != service || resp.ModelVersion != version || resp.ID != "golden-batch" {
				t.Errorf("response names %s %s id %q, want %s %s golden-batch", resp.ModelName, resp.ModelVersion, resp.ID, service, version)
			}
			predictions, err := oip.PredictionsFromREST(&resp)
			if err != nil {
				t.Fatal(err)
			}
			assertAgreesWithTraining(t, version, cases, predictions)
		})
	}
}

// assertAgreesWithTraining compares served predictions with demomodel.Predictor, the
// code modeltrain computes its golden-set figures with.
func assertAgreesWithTraining(t *testing.T, version string, cases []wdbc.Case, got []oip.Prediction) {
	t.Helper()
	m, err := demomodel.Load(modelFile(version))
	if err != nil {
		t.Fatal(err)
	}
	p, err := demomodel.NewPredictor(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cases) {
		t.Fatalf("%d predictions for %d cases", len(got), len(cases))
	}
	for i, c := range cases {
		want := p.Predict(c.Features)
		if got[i].Label != want.Class.String() || math.Abs(got[i].Probability-want.Probability) > 1e-6 {
			t.Errorf("case %s: served %v %.7f, training code %v %.7f", c.ID, got[i].Label, got[i].Probability, want.Class, want.Probability)
		}
	}
}

func TestRESTSingleCaseShapeAndVersionPath(t *testing.T) {
	s := startServer(t, versionProd, Faults{})
	c := goldenCases(t)[0]
	data, err := oip.FloatData(c.Features)
	if err != nil {
		t.Fatal(err)
	}
	req := oip.InferenceRequest{
		Inputs:  []oip.RequestInput{{Name: "features", Shape: []int64{30}, Datatype: oip.FP32, Data: data}},
		Outputs: []oip.RequestOutput{{Name: "label"}},
	}
	url := fmt.Sprintf("http://%s/v2/models/%s/versions/%s/infer", s.RESTAddr(), service, versionProd)
	status, _, body := doJSON(t, http.MethodPost, url, req, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var resp oip.InferenceResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Outputs) != 1 || resp.Outputs[0].Name != "label" {
		t.Fatalf("outputs %+v, want only the requested label", resp.Outputs)
	}
	labels, err := resp.Outputs[0].Data.Strings()
	if err != nil || len(labels) != 1 || labels[0] != c.Label.String() {
		t.Errorf("labels %v (%v), want [%v] for %s", labels, err, c.Label, c.ID)
	}
}

func TestRESTRejectsBadRequests(t *testing.T) {
	s := startServer(t, versionProd, Faults{})
	features := goldenCases(t)[0].Features
	flat := func(values []float64) string {
		b, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	body := func(input string) string { return `{"inputs":[` + input + `]}` }
	good := `{"name":"features","shape":[1,30],"datatype":"FP64","data":` + flat(features) + `}`
	// withFirst encodes the features with the first value replaced.
	withFirst := func(first any) string {
		values := []any{first}
		for _, v := range features[1:] {
			values = append(values, v)
		}
		b, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name       string
		url        string
		body       string
		headers    map[string]string
		wantStatus int
		wantError  string
	}{
		{name: "wrong shape", body: body(`{"name":"features","shape":[1,29],"datatype":"FP64","data":` + flat(features[:29]) + `}`), wantStatus: 400, wantError: "inputs[0].shape [1 29]"},
		{name: "wrong datatype", body: body(`{"name":"features","shape":[1,30],"datatype":"INT64","data":` + flat(features) + `}`), wantStatus: 400, wantError: `inputs[0].datatype "INT64"`},
		{name: "wrong input name", body: body(`{"name":"x","shape":[1,30],"datatype":"FP64","data":` + flat(features) + `}`), wantStatus: 400, wantError: `inputs[0].name "x"`},
		{name: "NaN value", body: body(`{"name":"features","shape":[1,30],"datatype":"FP64","data":` + withFirst("NaN") + `}`), wantStatus: 400, wantError: `inputs[0].data: element 0: string "NaN"`},
		{name: "too few values", body: body(`{"name":"features","shape":[2,30],"datatype":"FP64","data":` + flat(features) + `}`), wantStatus: 400, wantError: "30 values, want 60"},
		{name: "FP32 overflow", body: body(`{"name":"features","shape":[1,30],"datatype":"FP32","data":` + withFirst(1e39) + `}`), wantStatus: 400, wantError: "inputs[0].data[0] (case 0, feature radius_mean): +Inf is not a finite FP32 number"},
		{name: "two inputs", body: body(good + "," + good), wantStatus: 400, wantError: "inputs: 2 tensors"},
		{name: "not json", body: `{"inputs":`, wantStatus: 400, wantError: "not an inference request"},
		{name: "unknown output", body: `{"inputs":[` + good + `],"outputs":[{"name":"risk"}]}`, wantStatus: 400, wantError: `outputs[0].name "risk"`},
		{name: "bad label header", body: body(good), headers: map[string]string{oip.LabelHeader: "cancer"}, wantStatus: 400, wantError: `header x-vigil-label, case 0: invalid diagnosis "cancer"`},
		{name: "label count", body: body(good), headers: map[string]string{oip.LabelHeader: "benign,benign"}, wantStatus: 400, wantError: "2 labels for 1 cases"},
		{name: "label parameter not a string", body: `{"parameters":{"label":1},"inputs":[` + good + `]}`, wantStatus: 400, wantError: `parameter "label"`},
		{name: "header and parameter disagree", body: `{"parameters":{"label":"malignant"},"inputs":[` + good + `]}`, headers: map[string]string{oip.LabelHeader: "benign"}, wantStatus: 400, wantError: "disagree on case 0"},
		{name: "bad timeout header", body: body(good), headers: map[string]string{ExpectedTimeoutHeader: "soon"}, wantStatus: 400, wantError: "x-envoy-expected-rq-timeout-ms"},
		{name: "unknown model", url: fmt.Sprintf("http://%s/v2/models/other/infer", s.RESTAddr()), body: body(good), wantStatus: 404, wantError: `model "other"`},
		{name: "unknown version", url: fmt.Sprintf("http://%s/v2/models/%s/versions/2.0.0-PRODUCTION/infer", s.RESTAddr(), service), body: body(good), wantStatus: 404, wantError: `version "2.0.0-PRODUCTION"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = inferURL(s)
			}
			status, _, respBody := doJSON(t, http.MethodPost, url, tt.body, tt.headers)
			var e oip.ErrorResponse
			if err := json.Unmarshal(respBody, &e); err != nil {
				t.Fatalf("error body %s is not an error object: %v", respBody, err)
			}
			if status != tt.wantStatus || !strings.Contains(e.Error, tt.wantError) {
				t.Errorf("status %d error %q, want %d with %q", status, e.Error, tt.wantStatus, tt.wantError)
			}
		})
	}
}

func TestRESTFeedbackFromHeaderAndParameter(t *testing.T) {
	s := startServer(t, versionProd, Faults{})
	cases := goldenCases(t)[:4]
	labels := make([]string, len(cases))
	for i, c := range cases {
		labels[i] = c.Label.String()
	}
	req, err := oip.NewInferenceRequest("", rows(cases))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := doJSON(t, http.MethodPost, inferURL(s), req, map[string]string{oip.LabelHeader: strings.Join(labels, ",")}); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	req.Parameters = oip.Parameters{oip.ParameterLabel: strings.Join(labels, ", ")}
	if status, _, body := doJSON(t, http.MethodPost, inferURL(s), req, nil); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	families := scrape(t, s)
	total := 0.0
	for _, label := range []string{"malignant", "benign"} {
		for _, predicted := range []string{"malignant", "benign"} {
			total += sample(t, families, "inference_feedback_total", map[string]string{"label": label, "predicted": predicted})
		}
	}
	if total != 8 {
		t.Errorf("feedback total %v, want 8 (4 labelled cases, twice)", total)
	}
}
