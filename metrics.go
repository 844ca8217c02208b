package main

import (
	"context"
	"errors"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fullstack-fn/function-fullstack/internal/composite"
)

// The function's own metrics, beside the gRPC server's: what it was asked
// to compose, how long that took, what it said and when it asked to be
// called again. Labels are bounded: kind is one the function composes or
// "other", severity one of the protocol's, ttl one of internal/pipeline's.
const (
	MetricCalls     = "function_fullstack_calls_total"
	MetricDuration  = "function_fullstack_call_duration_seconds"
	MetricResults   = "function_fullstack_results_total"
	MetricResponses = "function_fullstack_responses_total"

	// KindOther labels a call for a kind the function does not compose.
	KindOther = "other"
)

// callMetrics counts the calls of the function.
type callMetrics struct {
	calls     *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	results   *prometheus.CounterVec
	responses *prometheus.CounterVec
}

func newMetrics() *callMetrics {
	return &callMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricCalls,
			Help: "RunFunction calls, by the kind of the composite resource.",
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricDuration,
			Help: "How long a RunFunction call took inside the function (decode, compose, encode), by the kind of the composite resource.",
			// A call takes about a millisecond; the top buckets catch the
			// largest requests and a starved CPU.
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"kind"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricResults,
			Help: "Results the function returned, by the kind of the composite resource and severity (Fatal, Warning, Normal).",
		}, []string{"kind", "severity"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricResponses,
			Help: "Responses by the kind of the composite resource and the TTL they asked for: 5s while something is on its way, 1m0s while a person or a timer must act, 10m0s when steady.",
		}, []string{"kind", "ttl"}),
	}
}

// register adds the metrics to r; where an earlier server in this process
// registered them there, it counts into those.
func (m *callMetrics) register(r prometheus.Registerer) (*callMetrics, error) {
	var err error
	out := &callMetrics{}
	if out.calls, err = registered(r, m.calls); err != nil {
		return nil, err
	}
	if out.duration, err = registered(r, m.duration); err != nil {
		return nil, err
	}
	if out.results, err = registered(r, m.results); err != nil {
		return nil, err
	}
	if out.responses, err = registered(r, m.responses); err != nil {
		return nil, err
	}
	return out, nil
}

// registered registers c with r, or returns the collector r already has.
func registered[C prometheus.Collector](r prometheus.Registerer, c C) (C, error) {
	err := r.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// instrumented counts the calls of a function into metrics.
type instrumented struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	fn fnv1.FunctionRunnerServiceServer
	m  *callMetrics
}

// RunFunction calls the function and counts the call, its duration, its
// results and the TTL of its response.
func (i *instrumented) RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	start := time.Now()
	rsp, err := i.fn.RunFunction(ctx, req)
	kind := metricKind(req)
	i.m.duration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	i.m.calls.WithLabelValues(kind).Inc()
	if err != nil {
		return rsp, err
	}
	for _, r := range rsp.GetResults() {
		i.m.results.WithLabelValues(kind, severityName(r.GetSeverity())).Inc()
	}
	i.m.responses.WithLabelValues(kind, rsp.GetMeta().GetTtl().AsDuration().String()).Inc()
	return rsp, nil
}

// metricKind is the kind label of a call: the observed composite's kind
// when the function composes it, else KindOther (a label's values must
// stay few whatever callers send).
func metricKind(req *fnv1.RunFunctionRequest) string {
	k := req.GetObserved().GetComposite().GetResource().GetFields()["kind"].GetStringValue()
	if _, ok := composite.Planners[k]; ok {
		return k
	}
	return KindOther
}

// severityName is a result's severity as people write it: Fatal, Warning,
// Normal (or Unspecified).
func severityName(s fnv1.Severity) string {
	switch s {
	case fnv1.Severity_SEVERITY_FATAL:
		return "Fatal"
	case fnv1.Severity_SEVERITY_WARNING:
		return "Warning"
	case fnv1.Severity_SEVERITY_NORMAL:
		return "Normal"
	default:
		return "Unspecified"
	}
}

// instrument wraps fn with the function's metrics, registered with r.
func instrument(fn fnv1.FunctionRunnerServiceServer, r prometheus.Registerer) (fnv1.FunctionRunnerServiceServer, error) {
	m, err := newMetrics().register(r)
	if err != nil {
		return nil, err
	}
	return &instrumented{fn: fn, m: m}, nil
}
