package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// Prometheus is a Source backed by the Prometheus HTTP API. It is safe for concurrent use.
type Prometheus struct {
	cfg Config
	api v1.API
}

var _ Source = (*Prometheus)(nil)

// userAgent identifies Vigil's queries in Prometheus's and proxies' logs.
const userAgent = "vigil-metrics"

// NewPrometheus validates cfg and returns a Source for the server it names. It does not
// contact the server.
func NewPrometheus(cfg Config) (*Prometheus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc, err := cfg.httpClientConfig()
	if err != nil {
		return nil, err
	}
	httpClient, err := promconfig.NewClientFromConfig(hc, "vigil_metrics", promconfig.WithUserAgent(userAgent))
	if err != nil {
		return nil, fmt.Errorf("metrics: http client for %s: %w", cfg.Address, err)
	}
	client, err := api.NewClient(api.Config{Address: cfg.Address, Client: httpClient})
	if err != nil {
		return nil, fmt.Errorf("metrics: api client for %s: %w", cfg.Address, err)
	}
	return &Prometheus{cfg: cfg, api: v1.NewAPI(client)}, nil
}

// Query runs query at ts and returns its single value. Errors are *QueryError values
// carrying the query and ts; errors.Is(err, ErrNoData) reports an empty, NaN or infinite
// result. A zero ts is a KindBadQuery error: the evaluation time must be explicit.
func (p *Prometheus) Query(ctx context.Context, query string, ts time.Time) (Sample, error) {
	fail := func(kind Kind, attempts int, warnings []string, err error) (Sample, error) {
		return Sample{}, &QueryError{Query: query, At: ts, Kind: kind, Attempts: attempts, Warnings: warnings, Err: err}
	}
	if err := checkQueryText(query); err != nil {
		return fail(KindBadQuery, 0, nil, err)
	}
	if ts.IsZero() {
		return fail(KindBadQuery, 0, nil, errors.New("evaluation time is the zero time; pass the time to evaluate at"))
	}

	var (
		result   model.Value
		warnings v1.Warnings
		infos    v1.Infos
	)
	attempts, kind, err := p.send(ctx, func(ctx context.Context) error {
		var err error
		result, warnings, infos, err = p.api.Query(ctx, query, ts)
		return err
	})
	if err != nil {
		return fail(kind, attempts, warnings, err)
	}
	value, at, labels, serr := instantValue(result)
	if serr != nil {
		return fail(serr.kind(), attempts, warnings, serr)
	}
	return Sample{
		Query:     query,
		Value:     value,
		Timestamp: at,
		Labels:    labels,
		Warnings:  warnings,
		Infos:     infos,
	}, nil
}

// QueryRange runs query over r and returns the finite points of its single series, in time
// order. Steps where the series has no sample, or a NaN or infinite one, are absent; when
// no point remains the error wraps ErrNoData. Errors are *QueryError values carrying the
// query and r.
func (p *Prometheus) QueryRange(ctx context.Context, query string, r Range) ([]Point, error) {
	fail := func(kind Kind, attempts int, warnings []string, err error) ([]Point, error) {
		rc := r
		return nil, &QueryError{Query: query, Range: &rc, Kind: kind, Attempts: attempts, Warnings: warnings, Err: err}
	}
	if err := checkQueryText(query); err != nil {
		return fail(KindBadQuery, 0, nil, err)
	}
	if err := r.validate(); err != nil {
		return fail(KindBadQuery, 0, nil, err)
	}

	var (
		result   model.Value
		warnings v1.Warnings
	)
	attempts, kind, err := p.send(ctx, func(ctx context.Context) error {
		var err error
		result, warnings, _, err = p.api.QueryRange(ctx, query, v1.Range{Start: r.Start, End: r.End, Step: r.Step})
		return err
	})
	if err != nil {
		return fail(kind, attempts, warnings, err)
	}
	points, serr := rangePoints(result)
	if serr != nil {
		return fail(serr.kind(), attempts, warnings, serr)
	}
	return points, nil
}

// checkQueryText rejects query text that cannot be PromQL before it is sent.
func checkQueryText(query string) error {
	if strings.TrimSpace(query) == "" {
		return errors.New("query is empty")
	}
	return nil
}
