package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestMetrics runs the function on example requests through the metrics
// wrapper and reads what a Prometheus scrape would: one call per request,
// by kind; the results by severity; the responses by the TTL they asked
// for; a duration observed per call.
func TestMetrics(t *testing.T) {
	byKey := map[string]example{}
	for _, e := range examples(t) {
		byKey[e.Name+"/"+e.Scenario] = e
	}
	request := func(key string) *fnv1.RunFunctionRequest {
		e, ok := byKey[key]
		if !ok {
			t.Fatalf("no example scenario %s", key)
		}
		return e.request(t)
	}
	// A kind the function does not compose, and an XNodeApp it refuses.
	otherKind := request("xnodeapp/all-ready")
	otherKind.GetObserved().GetComposite().GetResource().GetFields()["kind"] = structpb.NewStringValue("XSomethingElse")
	refused := request("xnodeapp/all-ready")
	spec := refused.GetObserved().GetComposite().GetResource().GetFields()["spec"].GetStructValue().GetFields()
	spec["environment"] = structpb.NewStringValue("moon")

	cases := map[string]struct {
		requests []*fnv1.RunFunctionRequest
		want     map[string]float64
	}{
		"SteadyAndInProgress": {
			requests: []*fnv1.RunFunctionRequest{request("xnodeapp/all-ready"), request("xnodeapp/all-ready"), request("fullstack-dev/nothing-exists")},
			want: map[string]float64{
				`function_fullstack_calls_total{kind="XNodeApp"}`:                          2,
				`function_fullstack_calls_total{kind="XFullStackService"}`:                 1,
				`function_fullstack_call_duration_seconds_count{kind="XNodeApp"}`:          2,
				`function_fullstack_call_duration_seconds_count{kind="XFullStackService"}`: 1,
				`function_fullstack_responses_total{kind="XNodeApp",ttl="10m0s"}`:          2,
				`function_fullstack_responses_total{kind="XFullStackService",ttl="5s"}`:    1,
			},
		},
		"Refused": {
			requests: []*fnv1.RunFunctionRequest{refused, otherKind},
			want: map[string]float64{
				`function_fullstack_calls_total{kind="XNodeApp"}`:                    1,
				`function_fullstack_calls_total{kind="other"}`:                       1,
				`function_fullstack_call_duration_seconds_count{kind="XNodeApp"}`:    1,
				`function_fullstack_call_duration_seconds_count{kind="other"}`:       1,
				`function_fullstack_responses_total{kind="XNodeApp",ttl="1m0s"}`:     1,
				`function_fullstack_responses_total{kind="other",ttl="1m0s"}`:        1,
				`function_fullstack_results_total{kind="XNodeApp",severity="Fatal"}`: 1,
				`function_fullstack_results_total{kind="other",severity="Fatal"}`:    1,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := newMetrics().register(reg)
			if err != nil {
				t.Fatal(err)
			}
			fn := &instrumented{fn: &Function{log: logging.NewNopLogger()}, m: m}
			for _, req := range tc.requests {
				if _, err := fn.RunFunction(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, scrape(t, reg)); diff != "" {
				t.Errorf("metrics: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestMetricsRegisterTwice: a second server in one process (tests, a
// restart in place) counts into the metrics the first registered.
func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := newMetrics().register(reg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := newMetrics().register(reg)
	if err != nil {
		t.Fatalf("second register: %v", err)
	}
	second.calls.WithLabelValues("XNodeApp").Inc()
	if diff := cmp.Diff(map[string]float64{`function_fullstack_calls_total{kind="XNodeApp"}`: 1}, scrape(t, reg)); diff != "" {
		t.Errorf("metrics: -want, +got:\n%s", diff)
	}
	if first.calls != second.calls {
		t.Error("the second register made new counters; the first server's would not be scraped")
	}
}

// scrape gathers reg as name{labels} → value: counters, and the sample
// count of histograms (durations vary from run to run).
func scrape(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			ls := "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[mf.GetName()+ls] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[mf.GetName()+"_count"+ls] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// BenchmarkMetrics measures what counting a call costs: the same request
// through the function alone and through the metrics wrapper.
func BenchmarkMetrics(b *testing.B) {
	var req *fnv1.RunFunctionRequest
	for _, e := range examples(b) {
		if e.Name == "xnodeapp" && e.Scenario == "all-ready" {
			req = e.request(b)
		}
	}
	if req == nil {
		b.Fatal("no example xnodeapp/all-ready")
	}
	m, err := newMetrics().register(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	f := &Function{log: logging.NewNopLogger()}
	for name, fn := range map[string]fnv1.FunctionRunnerServiceServer{"direct": f, "instrumented": &instrumented{fn: f, m: m}} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn.RunFunction(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
