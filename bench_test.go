package main

import (
	"runtime/metrics"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkRunFunction measures what the server does for one call of every
// example scenario: decode the request's bytes, RunFunction, encode the
// response (ns/op, B/op, allocs/op). Each iteration then does the floor of
// the job for the same scenario: decode the same request and encode the
// same response, nothing else (floor-ns/op), so both are measured at the
// same moments and the ratio (x-floor) holds up on a noisy machine.
// Compare runs with benchstat: `make bench` writes _output/bench.txt.
func BenchmarkRunFunction(b *testing.B) {
	for _, e := range examples(b) {
		req := e.request(b)
		in, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e.Name+"/"+e.Scenario, func(b *testing.B) {
			f := &Function{log: logging.NewNopLogger()}
			samples := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
			var fn, floor time.Duration
			var bytes, objects uint64
			for b.Loop() {
				metrics.Read(samples)
				b0, o0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()
				t0 := time.Now()
				r := &fnv1.RunFunctionRequest{}
				if err := proto.Unmarshal(in, r); err != nil {
					b.Fatal(err)
				}
				rsp, err := f.RunFunction(b.Context(), r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := proto.Marshal(rsp); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				metrics.Read(samples)
				bytes += samples[0].Value.Uint64() - b0
				objects += samples[1].Value.Uint64() - o0

				t2 := time.Now()
				if err := proto.Unmarshal(in, &fnv1.RunFunctionRequest{}); err != nil {
					b.Fatal(err)
				}
				if _, err := proto.Marshal(rsp); err != nil {
					b.Fatal(err)
				}
				fn += t1.Sub(t0)
				floor += time.Since(t2)
			}
			n := float64(b.N)
			b.ReportMetric(float64(fn.Nanoseconds())/n, "ns/op")
			b.ReportMetric(float64(bytes)/n, "B/op")
			b.ReportMetric(float64(objects)/n, "allocs/op")
			b.ReportMetric(float64(floor.Nanoseconds())/n, "floor-ns/op")
			b.ReportMetric(float64(fn)/float64(floor), "x-floor")
		})
	}
}
