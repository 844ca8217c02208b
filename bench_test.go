package main

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkRunFunction runs the function on every example scenario. Compare
// runs with benchstat: `make bench` writes _output/bench.txt.
func BenchmarkRunFunction(b *testing.B) {
	for _, e := range examples(b) {
		req := e.request(b)
		b.Run(e.Name+"/"+e.Scenario, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// The SDK copies desired state from the request into the
				// response; clone so every iteration starts the same.
				run(b, proto.Clone(req).(*fnv1.RunFunctionRequest))
			}
		})
	}
}
