package main

import (
	"sync"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
)

// floors holds each scenario's floor, measured once per run.
var floors sync.Map

// BenchmarkRunFunction measures what the server does for one call of every
// example scenario: decode the request's bytes, RunFunction, encode the
// response. Beside ns/op it reports the floor of the job for the same
// scenario, measured in the same run (floor-ns/op: decode the same request
// and encode the same response, nothing else), and the ratio (x-floor).
// Compare runs with benchstat: `make bench` writes _output/bench.txt.
func BenchmarkRunFunction(b *testing.B) {
	for _, e := range examples(b) {
		req := e.request(b)
		in, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		name := e.Name + "/" + e.Scenario
		b.Run(name, func(b *testing.B) {
			floor := floorOf(b, name, in)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := &fnv1.RunFunctionRequest{}
				if err := proto.Unmarshal(in, r); err != nil {
					b.Fatal(err)
				}
				rsp, err := (&Function{log: logging.NewNopLogger()}).RunFunction(b.Context(), r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := proto.Marshal(rsp); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(floor, "floor-ns/op")
			b.ReportMetric(ns/floor, "x-floor")
		})
	}
}

// floorOf is the floor of one scenario: decode its request and encode the
// response the function gives it, in ns per call.
func floorOf(b *testing.B, name string, in []byte) float64 {
	b.Helper()
	if f, ok := floors.Load(name); ok {
		return f.(float64)
	}
	req := &fnv1.RunFunctionRequest{}
	if err := proto.Unmarshal(in, req); err != nil {
		b.Fatal(err)
	}
	rsp, err := (&Function{log: logging.NewNopLogger()}).RunFunction(b.Context(), req)
	if err != nil {
		b.Fatal(err)
	}
	// Timed by hand: testing.Benchmark cannot run inside a benchmark.
	n, start := 0, time.Now()
	for n < 20 || time.Since(start) < 300*time.Millisecond {
		r := &fnv1.RunFunctionRequest{}
		if err := proto.Unmarshal(in, r); err != nil {
			b.Fatal(err)
		}
		if _, err := proto.Marshal(rsp); err != nil {
			b.Fatal(err)
		}
		n++
	}
	f := float64(time.Since(start).Nanoseconds()) / float64(n)
	floors.Store(name, f)
	return f
}
