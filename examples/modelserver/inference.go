package modelserver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/oip"
)

// MaxBatchSize is the largest number of cases one inference request may carry.
const MaxBatchSize = 1024

// Request errors. The protocol layers map them to statuses: errBadRequest to HTTP 400 /
// INVALID_ARGUMENT, errNotFound to 404 / NOT_FOUND, errInjected to 500 / INTERNAL,
// errTimeout to 504 / DEADLINE_EXCEEDED (CANCELLED when the client cancelled).
var (
	errBadRequest = errors.New("invalid request")
	errNotFound   = errors.New("not found")
	errInjected   = errors.New("injected fault: simulated internal error")
	errTimeout    = errors.New("client stopped waiting before the answer was ready")
)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// batch is a validated inference request.
type batch struct {
	// features holds n cases of wdbc.NumFeatures finite values each, row-major.
	features []float64
	n        int
	// labels is nil or holds the ground-truth class of each case.
	labels []wdbc.Class
}

// parseFeatureTensor validates the single input tensor of a request. field is its path in
// the request ("inputs[0]"); values returns its elements as float64 and is called only after
// the metadata checks pass. Shape [30] is one case; [N, 30] is a batch of N.
func parseFeatureTensor(field, name string, datatype oip.Datatype, shape []int64, values func() ([]float64, error)) (batch, error) {
	if name != oip.InputFeatures {
		return batch{}, badRequest("%s.name %q: want %q", field, name, oip.InputFeatures)
	}
	if datatype != oip.FP32 && datatype != oip.FP64 {
		return batch{}, badRequest("%s.datatype %q: want FP64 or FP32", field, datatype)
	}
	var n int
	switch {
	case len(shape) == 1 && shape[0] == wdbc.NumFeatures:
		n = 1
	case len(shape) == 2 && shape[1] == wdbc.NumFeatures && shape[0] >= 1 && shape[0] <= MaxBatchSize:
		n = int(shape[0])
	default:
		return batch{}, badRequest("%s.shape %v: want [%d] or [N, %d] with 1 <= N <= %d (per case the wdbc features, radius_mean first, fractal_dimension_worst last)",
			field, shape, wdbc.NumFeatures, wdbc.NumFeatures, MaxBatchSize)
	}
	data, err := values()
	if err != nil {
		return batch{}, badRequest("%s.data: %v", field, err)
	}
	if len(data) != n*wdbc.NumFeatures {
		return batch{}, badRequest("%s.data: %d values, want %d for shape %v", field, len(data), n*wdbc.NumFeatures, shape)
	}
	for i, v := range data {
		if datatype == oip.FP32 {
			v = float64(float32(v))
			data[i] = v
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return batch{}, badRequest("%s.data[%d] (case %d, feature %s): %v is not a finite %s number",
				field, i, i/wdbc.NumFeatures, wdbc.FeatureNames()[i%wdbc.NumFeatures], v, datatype)
		}
	}
	return batch{features: data, n: n}, nil
}

// labelSource is one place a request may carry ground-truth labels.
type labelSource struct {
	name   string // for error messages, e.g. "header x-vigil-label"
	values []string
}

// parseLabels reads the ground-truth labels of an n-case request: a comma-separated list of
// n class names, given at most once per source; when several sources carry labels they
// must agree. No labels at all returns nil.
func parseLabels(n int, sources ...labelSource) ([]wdbc.Class, error) {
	var labels []wdbc.Class
	var from string
	for _, src := range sources {
		if len(src.values) == 0 {
			continue
		}
		if len(src.values) > 1 {
			return nil, badRequest("%s given %d times: give it once, with one label per case separated by commas", src.name, len(src.values))
		}
		parts := strings.Split(src.values[0], ",")
		if len(parts) != n {
			return nil, badRequest("%s %q: %d labels for %d cases, want one per case separated by commas", src.name, src.values[0], len(parts), n)
		}
		parsed := make([]wdbc.Class, n)
		for i, part := range parts {
			c, err := wdbc.ParseClass(strings.TrimSpace(part))
			if err != nil {
				return nil, badRequest("%s, case %d: %v", src.name, i, err)
			}
			parsed[i] = c
		}
		if labels != nil {
			for i := range labels {
				if labels[i] != parsed[i] {
					return nil, badRequest("%s and %s disagree on case %d (%v vs %v)", from, src.name, i, labels[i], parsed[i])
				}
			}
			continue
		}
		labels, from = parsed, src.name
	}
	return labels, nil
}

// timeoutError reports a request context that ended before the answer was ready. Both an
// expired deadline and a cancellation count as a timeout: a gRPC client whose deadline
// passes resets the stream, which the server often sees as a cancellation just before its
// own copy of the deadline fires, and an HTTP/1.1 client that times out simply closes the
// connection. The context error stays in the chain for errors.Is.
func timeoutError(ctxErr error) error {
	return fmt.Errorf("%w: %w", errTimeout, ctxErr)
}

// infer applies the current faults and runs the model on a validated batch. Predictions,
// feedback and adverse events are recorded only for requests that are answered.
func (s *Server) infer(ctx context.Context, b batch) ([]demomodel.Prediction, error) {
	plan := s.faults.plan()
	if plan.delay > 0 {
		timer := time.NewTimer(plan.delay)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return nil, timeoutError(ctx.Err())
		case <-timer.C:
		}
	}
	if plan.fail {
		return nil, errInjected
	}
	if err := ctx.Err(); err != nil {
		return nil, timeoutError(err)
	}
	predictions := make([]demomodel.Prediction, b.n)
	for i := range predictions {
		predictions[i] = s.predictor.Predict(b.features[i*wdbc.NumFeatures : (i+1)*wdbc.NumFeatures])
		label := wdbc.ClassUnknown
		if b.labels != nil {
			label = b.labels[i]
		}
		s.metrics.observePrediction(label, predictions[i].Class)
	}
	if plan.adverse {
		s.metrics.adverse.Inc()
	}
	return predictions, nil
}

// checkModel answers whether a request for model name and version (empty: any) is for
// this server's model; the error names what is served.
func (s *Server) checkModel(name, version string) error {
	if name != s.service {
		return fmt.Errorf("%w: model %q: this server serves %q", errNotFound, name, s.service)
	}
	if version != "" && version != s.version {
		return fmt.Errorf("%w: version %q of model %q: this server serves version %q", errNotFound, version, name, s.version)
	}
	return nil
}

// outputSelection says which outputs a request asked for.
type outputSelection struct{ probability, label bool }

// selectOutputs validates requested output names; none means all outputs.
func selectOutputs(names []string) (outputSelection, error) {
	if len(names) == 0 {
		return outputSelection{probability: true, label: true}, nil
	}
	var sel outputSelection
	for i, name := range names {
		switch name {
		case oip.OutputProbability:
			sel.probability = true
		case oip.OutputLabel:
			sel.label = true
		default:
			return outputSelection{}, badRequest("outputs[%d].name %q: want %q or %q", i, name, oip.OutputProbability, oip.OutputLabel)
		}
	}
	return sel, nil
}
