package main

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/fullstack-fn/function-fullstack/test/load"
)

// BenchmarkGRPC calls the built binary over mTLS on loopback, as Crossplane
// does, with every example's request, round robin, from 1, 16 and 128
// callers: b.N calls in all per level. It reports latency (p50-ns, p99-ns),
// throughput (calls/s), errors, and the server's peak RSS (peak-rss-MB).
// BASELINE_BINARY=path runs the same levels against another build (such as
// the previous release's) in the same run, for a side-by-side comparison.
func BenchmarkGRPC(b *testing.B) {
	bins := [][2]string{{"current", binary(b)}}
	if base := os.Getenv("BASELINE_BINARY"); base != "" {
		bins = append(bins, [2]string{"baseline", base})
	}
	reqs := allRequests(b)
	for _, bin := range bins {
		b.Run(bin[0], func(b *testing.B) {
			p := newPKI(b)
			fn := startBinary(b, bin[1], "--tls-certs-dir="+p.dir)
			client := encodedCaller(b, fn.addr, mtls(p), reqs)
			for _, callers := range []int{1, 16, 128} {
				b.Run(fmt.Sprintf("callers-%d", callers), func(b *testing.B) {
					cpu := fn.cpuTime(b)
					r := load.RunN(context.Background(), client, callers, b.N)
					cpu = fn.cpuTime(b) - cpu
					if r.Errors > 0 {
						b.Errorf("%d of %d calls failed; first: %v", r.Errors, r.Calls, r.FirstErr)
					}
					b.ReportMetric(float64(r.P50.Nanoseconds()), "p50-ns")
					b.ReportMetric(float64(r.P99.Nanoseconds()), "p99-ns")
					b.ReportMetric(r.PerSecond(), "calls/s")
					b.ReportMetric(float64(fn.peakRSS(b))/1e6, "peak-rss-MB")
					b.ReportMetric(float64(cpu.Microseconds())/float64(r.Calls), "server-cpu-µs/call")
				})
			}
		})
	}
}
