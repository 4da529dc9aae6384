package promtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// TestServerLifecycle walks one real Prometheus through its life: it scrapes an exporter,
// picks up a target added and removed at run time, goes down hard, and comes back on the
// same port with its data.
func TestServerLifecycle(t *testing.T) {
	// A generous bound: on a loaded shared machine every step can be slow.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	exp := NewExporter(t)
	gauge := exp.Gauge("vigil_promtest_value", map[string]string{"model": "sepsis"})
	gauge.Set(42)
	srv := Start(t, Options{Targets: []TargetGroup{{Job: "exporter", Targets: []string{exp.Target()}}}})
	t.Logf("prometheus %s at %s", srv.Binary(), srv.URL())
	const query = `vigil_promtest_value{job="exporter",model="sepsis"}`

	var seenAt time.Time
	t.Run("scrapes the exporter's value", func(t *testing.T) {
		at, err := srv.WaitForSettled(ctx, query, HasValue(42))
		if err != nil {
			t.Fatal(err)
		}
		seenAt = at
	})

	t.Run("sees a value change", func(t *testing.T) {
		gauge.Set(42.5)
		if _, err := srv.WaitFor(ctx, query, HasValue(42.5)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("WaitFor gives up with the query and the last result", func(t *testing.T) {
		wctx, wcancel := context.WithTimeout(ctx, time.Second)
		defer wcancel()
		_, err := srv.WaitForSeries(wctx, "vigil_promtest_never_exported")
		if err == nil {
			t.Fatal("WaitForSeries of a series nobody exports succeeded")
		}
		for _, want := range []string{"vigil_promtest_never_exported", "deadline exceeded", "(last "} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})

	second := NewExporter(t)
	second.Gauge("vigil_promtest_second", nil).Set(7)
	t.Run("target added at run time is scraped with its labels", func(t *testing.T) {
		srv.SetTargets("second", []string{second.Target()}, map[string]string{"version": "2.2.0-PRODUCTION"})
		if _, err := srv.WaitFor(ctx, `vigil_promtest_second{job="second",version="2.2.0-PRODUCTION"}`, HasValue(7)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("target removed at run time disappears", func(t *testing.T) {
		srv.SetTargets("second", nil, nil)
		empty := func(v model.Value) bool { vec, ok := v.(model.Vector); return ok && len(vec) == 0 }
		if _, err := srv.WaitFor(ctx, `up{job="second"}`, empty); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("killed server refuses queries", func(t *testing.T) {
		if err := srv.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		defer qcancel()
		if v, _, _, err := srv.API().Query(qctx, query, time.Now()); err == nil {
			t.Fatalf("query on a killed server returned %v, want an error", v)
		}
		err := srv.WaitReady(qctx)
		if err == nil || !strings.Contains(err.Error(), "not running") {
			t.Fatalf("WaitReady on a killed server = %v, want a not-running error", err)
		}
	})

	t.Run("restart keeps the port and the data and scrapes again", func(t *testing.T) {
		url := srv.URL()
		gauge.Set(43)
		if err := srv.Restart(ctx); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		if srv.URL() != url {
			t.Fatalf("URL after restart = %s, want %s", srv.URL(), url)
		}
		v, _, _, err := srv.API().Query(ctx, query, seenAt)
		if err != nil {
			t.Fatalf("query at %v after restart: %v", seenAt, err)
		}
		if !HasValue(42)(v) {
			t.Fatalf("value at %v after restart = %v, want 42 recovered from the data directory", seenAt, v)
		}
		if _, err := srv.WaitFor(ctx, query, HasValue(43)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("stop is clean and idempotent", func(t *testing.T) {
		if err := srv.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
	})
}
