package binary

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/fullstack-fn/function-fullstack/test/load"
)

// loadDuration is how long each level of TestLoad calls the function;
// LOAD_DURATION (a Go duration) changes it.
func loadDuration(t *testing.T) time.Duration {
	t.Helper()
	d := 2 * time.Second
	if s := os.Getenv("LOAD_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("LOAD_DURATION=%q: %v", s, err)
		}
	}
	return d
}

// TestLoad calls the built binary over mTLS on loopback with every
// example's request, round robin, from 1, 16 and 128 callers at once. No
// call may fail, and once the load is over the server must come back to
// where it started: the same number of goroutines, and a heap goal (what
// the garbage collector found live, doubled) no larger than before. It
// logs throughput, p50/p99 and the server's peak RSS.
func TestLoad(t *testing.T) {
	p := newPKI(t)
	fn := start(t, "--tls-certs-dir="+p.dir)
	reqs := allRequests(t)
	client := encodedCaller(t, fn.addr, mtls(p), reqs)
	ctx := context.Background()

	// settle makes sequential calls: the garbage collector runs several
	// times with at most one call in flight.
	settle := func() {
		if r := load.Run(ctx, client, 1, 500*time.Millisecond); r.Errors > 0 {
			t.Fatalf("settling: %d errors, first: %v", r.Errors, r.FirstErr)
		}
	}
	// Warm up at every level first: the transport keeps buffers sized for
	// the most concurrent streams it has served (a one-time growth, not a
	// leak), so the baseline is taken after it has seen them all once; a
	// leak grows with the calls that follow.
	for _, callers := range []int{1, 16, 128} {
		if r := load.Run(ctx, client, callers, 500*time.Millisecond); r.Errors > 0 {
			t.Fatalf("warming up at %d callers: %d errors, first: %v", callers, r.Errors, r.FirstErr)
		}
	}
	// lowGoal settles three times and keeps the lowest heap goal seen: the
	// collector's pacing moves the goal with the timing of one cycle (a
	// sample can land right after a burst), a leak moves every sample.
	lowGoal := func() float64 {
		low := 0.0
		for i := 0; i < 3; i++ {
			settle()
			if g := fn.metric(t, "go_memstats_next_gc_bytes"); i == 0 || g < low {
				low = g
			}
		}
		return low
	}
	heapGoal := lowGoal()
	goroutines := fn.metric(t, "go_goroutines")
	heap := fn.metric(t, "go_memstats_heap_alloc_bytes")
	rss := fn.peakRSS(t)
	t.Logf("baseline: %d requests (every example scenario); %.0f goroutines, heap %.1f MB, heap goal %.1f MB, peak RSS %.1f MB",
		len(reqs), goroutines, heap/1e6, heapGoal/1e6, float64(rss)/1e6)

	d := loadDuration(t)
	for _, callers := range []int{1, 16, 128} {
		r := load.Run(ctx, client, callers, d)
		t.Logf("%3d callers: %6d calls in %s, %5.0f/s, %d errors, p50 %s, p99 %s, peak RSS %.1f MB",
			callers, r.Calls, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.Errors, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond),
			float64(fn.peakRSS(t))/1e6)
		if r.Errors > 0 {
			t.Errorf("%d callers: %d of %d calls failed; first: %v", callers, r.Errors, r.Calls, r.FirstErr)
		}
		if r.Calls < callers {
			t.Errorf("%d callers made only %d calls", callers, r.Calls)
		}
	}

	afterGoal := lowGoal()
	deadline := time.Now().Add(10 * time.Second)
	var g float64
	for g = fn.metric(t, "go_goroutines"); g > goroutines && time.Now().Before(deadline); g = fn.metric(t, "go_goroutines") {
		time.Sleep(100 * time.Millisecond)
	}
	afterHeap := fn.metric(t, "go_memstats_heap_alloc_bytes")
	t.Logf("after: %.0f goroutines, heap %.1f MB, heap goal %.1f MB, peak RSS %.1f MB", g, afterHeap/1e6, afterGoal/1e6, float64(fn.peakRSS(t))/1e6)
	if g > goroutines {
		t.Errorf("goroutines: %.0f after the load, %.0f before", g, goroutines)
	}
	// A quarter (and 1 MB) of slack over the lowest of three samples each
	// side.
	if afterGoal > heapGoal*1.25+1e6 {
		t.Errorf("heap goal %.1f MB after the load, %.1f MB before: memory the calls left behind", afterGoal/1e6, heapGoal/1e6)
	}
}
