package bench

import (
	"testing"
	"time"
)

func TestStallProbeWithinCountsOnlyOverlaps(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	p := &stallProbe{stalls: []stall{
		{from: at(0), to: at(100)},     // ends inside the window
		{from: at(300), to: at(350)},   // inside
		{from: at(900), to: at(1400)},  // starts inside, ends after
		{from: at(2000), to: at(2100)}, // after
	}}
	n, total, longest := p.within(at(50), at(1000))
	if n != 3 || total != 200*time.Millisecond || longest != 500*time.Millisecond {
		t.Fatalf("within = %d stalls, %s overlap, longest %s; want 3, 200ms, 500ms", n, total, longest)
	}
	if n, _, _ := p.within(at(150), at(250)); n != 0 {
		t.Fatalf("a window between stalls overlaps %d of them", n)
	}
}
