package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"

	metrics "github.com/armon/go-metrics"
)

// batchStats summarises how the log stores batched writes: every fsynced bolt transaction
// that stores log entries is one batch. It reads raft-boltdb's metrics
// (raft.boltdb.logsPerBatch, raft.boltdb.storeLogs) from an in-memory metrics sink, so it
// covers every node of an in-process cluster (the leader's and the followers' stores).
type batchStats struct {
	batches      int     // fsynced StoreLogs transactions
	entries      float64 // log entries they stored
	meanStoreMs  float64 // mean duration of one StoreLogs transaction, fsync included
	largestBatch float64
}

// meanBatch returns the mean number of entries per fsynced batch.
func (s batchStats) meanBatch() float64 {
	if s.batches == 0 {
		return 0
	}
	return s.entries / float64(s.batches)
}

// recordBatches installs a fresh in-memory metrics sink as the process's go-metrics global
// (raft-boltdb reports through it) and returns a function that reads what it gathered.
func recordBatches() (func() (batchStats, error), error) {
	sink := metrics.NewInmemSink(time.Minute, time.Hour)
	cfg := metrics.DefaultConfig("vigil-bench")
	cfg.EnableHostname = false
	cfg.EnableRuntimeMetrics = false
	if _, err := metrics.NewGlobal(cfg, sink); err != nil {
		return nil, fmt.Errorf("install metrics sink: %w", err)
	}
	return func() (batchStats, error) {
		var s batchStats
		var storeMsSum float64
		var storeCount int
		for _, interval := range sink.Data() {
			interval.RLock()
			for key, v := range interval.Samples {
				switch {
				case strings.HasSuffix(key, "raft.boltdb.logsPerBatch"):
					s.batches += v.Count
					s.entries += v.Sum
					s.largestBatch = max(s.largestBatch, v.Max)
				case strings.HasSuffix(key, "raft.boltdb.storeLogs"):
					storeCount += v.Count
					storeMsSum += v.Sum
				}
			}
			interval.RUnlock()
		}
		if s.batches == 0 {
			return s, errors.New("no raft.boltdb.logsPerBatch samples: the log store reported no writes to the metrics sink")
		}
		if storeCount > 0 {
			s.meanStoreMs = storeMsSum / float64(storeCount)
		}
		return s, nil
	}, nil
}
