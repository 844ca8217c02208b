package binary

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fullstack-fn/function-fullstack/test/load"
)

// BenchmarkGRPC calls the built binary over mTLS on loopback, as Crossplane
// does, with every example's request, round robin, from 1, 16 and 128
// callers: b.N calls in all per level. It reports latency (p50-ns, p99-ns),
// throughput (calls/s), errors, the server's CPU, allocated bytes and
// garbage collections per call (from /proc and its Prometheus endpoint),
// and its peak RSS (peak-rss-MB). At each level the floor server (floor_test.go: the same
// gRPC server and flags, answering with the function's responses computed
// beforehand) runs first, and the binary's p50 is reported against it
// (x-floor-p50). BASELINE_BINARY=path runs the same levels against another
// build (such as the previous release's) in the same run, for a
// side-by-side comparison.
func BenchmarkGRPC(b *testing.B) {
	reqs := allRequests(b)
	p := newPKI(b)
	type server struct {
		name   string
		fn     *proc
		caller load.Caller
	}
	var servers []server
	add := func(name string, fn *proc) {
		servers = append(servers, server{name: name, fn: fn, caller: encodedCaller(b, fn.addr, mtls(p), reqs)})
	}
	add("floor", startFloor(b, reqs, "--tls-certs-dir="+p.dir))
	add("current", startBinary(b, binary(b), "--tls-certs-dir="+p.dir))
	if base := os.Getenv("BASELINE_BINARY"); base != "" {
		add("baseline", startBinary(b, base, "--tls-certs-dir="+p.dir))
	}
	for _, callers := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("callers-%d", callers), func(b *testing.B) {
			var floorP50 time.Duration
			for _, s := range servers {
				b.Run(s.name, func(b *testing.B) {
					cpu, gcs, alloc := s.fn.cpuTime(b), s.fn.metric(b, "go_gc_duration_seconds_count"), s.fn.metric(b, "go_memstats_alloc_bytes_total")
					r := load.RunN(context.Background(), s.caller, callers, b.N)
					cpu = s.fn.cpuTime(b) - cpu
					gcs = s.fn.metric(b, "go_gc_duration_seconds_count") - gcs
					alloc = s.fn.metric(b, "go_memstats_alloc_bytes_total") - alloc
					if r.Errors > 0 {
						b.Errorf("%d of %d calls failed; first: %v", r.Errors, r.Calls, r.FirstErr)
					}
					b.ReportMetric(float64(r.P50.Nanoseconds()), "p50-ns")
					b.ReportMetric(float64(r.P99.Nanoseconds()), "p99-ns")
					b.ReportMetric(r.PerSecond(), "calls/s")
					b.ReportMetric(float64(s.fn.peakRSS(b))/1e6, "peak-rss-MB")
					b.ReportMetric(float64(cpu.Microseconds())/float64(r.Calls), "server-cpu-µs/call")
					b.ReportMetric(alloc/1e3/float64(r.Calls), "server-alloc-KB/call")
					b.ReportMetric(gcs*1000/float64(r.Calls), "server-gc/1k-calls")
					if s.name == "floor" {
						floorP50 = r.P50
					} else if floorP50 > 0 {
						b.ReportMetric(float64(r.P50)/float64(floorP50), "x-floor-p50")
					}
				})
			}
		})
	}
}
