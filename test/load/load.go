// Package load calls a function's RunFunction over gRPC from many callers
// at once, for the load tests and benchmarks of the built binary.
package load

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Result of one load run.
type Result struct {
	Callers  int
	Calls    int
	Errors   int
	FirstErr error
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// PerSecond is the throughput of the run.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// Run calls c with reqs, round robin, from callers goroutines until d has
// passed (or ctx ends), and reports every call's latency as p50 and p99.
// A response that does not carry the request's tag counts as an error.
func Run(ctx context.Context, c fnv1.FunctionRunnerServiceClient, reqs []*fnv1.RunFunctionRequest, callers int, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return run(ctx, c, reqs, callers, -1)
}

// RunN makes n calls in all, as Run does.
func RunN(ctx context.Context, c fnv1.FunctionRunnerServiceClient, reqs []*fnv1.RunFunctionRequest, callers, n int) Result {
	return run(ctx, c, reqs, callers, n)
}

// run calls until ctx ends or, with n >= 0, n calls have started.
func run(ctx context.Context, c fnv1.FunctionRunnerServiceClient, reqs []*fnv1.RunFunctionRequest, callers, n int) Result {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		first     error
		wg        sync.WaitGroup
		started   atomic.Int64
	)
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var own []time.Duration
			ownErrs := 0
			var ownFirst error
			for ctx.Err() == nil {
				k := started.Add(1) - 1
				if n >= 0 && k >= int64(n) {
					break
				}
				req := reqs[int(k)%len(reqs)]
				t0 := time.Now()
				// Each call gets its own deadline: the run's end must not
				// cut a call that started in time.
				cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
				rsp, err := c.RunFunction(cctx, req)
				ccancel()
				own = append(own, time.Since(t0))
				if err == nil && rsp.GetMeta().GetTag() != req.GetMeta().GetTag() {
					err = errTag{want: req.GetMeta().GetTag(), got: rsp.GetMeta().GetTag()}
				}
				if err != nil {
					ownErrs++
					if ownFirst == nil {
						ownFirst = err
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, own...)
			errs += ownErrs
			if first == nil {
				first = ownFirst
			}
		}()
	}
	wg.Wait()
	r := Result{Callers: callers, Calls: len(latencies), Errors: errs, FirstErr: first, Elapsed: time.Since(start)}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		r.P50 = latencies[n/2]
		r.P99 = latencies[min(n-1, n*99/100)]
	}
	return r
}

type errTag struct{ want, got string }

func (e errTag) Error() string { return "response tag " + e.got + " for request tag " + e.want }
