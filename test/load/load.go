// Package load calls a function's RunFunction over gRPC from many callers
// at once, for the load tests and benchmarks of the built binary.
package load

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A Caller makes the i-th call of a run, round robin over its requests,
// and returns the request's tag and the response's.
type Caller interface {
	Call(ctx context.Context, i int) (want, got string, err error)
}

// Typed calls with generated client code: it encodes every request and
// decodes every response, as Crossplane does.
func Typed(c fnv1.FunctionRunnerServiceClient, reqs []*fnv1.RunFunctionRequest) Caller {
	return typed{c: c, reqs: reqs}
}

type typed struct {
	c    fnv1.FunctionRunnerServiceClient
	reqs []*fnv1.RunFunctionRequest
}

func (t typed) Call(ctx context.Context, i int) (string, string, error) {
	req := t.reqs[i%len(t.reqs)]
	rsp, err := t.c.RunFunction(ctx, req)
	return req.GetMeta().GetTag(), rsp.GetMeta().GetTag(), err
}

// Encoded sends requests encoded once, up front, and reads only the tag of
// each response, so on a machine the client shares with the server the
// client's CPU goes to the transport (TLS, HTTP/2), not to protobuf: what
// is measured is the server.
func Encoded(conn grpc.ClientConnInterface, reqs []*fnv1.RunFunctionRequest) (Caller, error) {
	e := encoded{conn: conn}
	for _, r := range reqs {
		b, err := proto.Marshal(r)
		if err != nil {
			return nil, err
		}
		e.reqs = append(e.reqs, raw{b: b, tag: r.GetMeta().GetTag()})
	}
	return e, nil
}

type encoded struct {
	conn grpc.ClientConnInterface
	reqs []raw
}

type raw struct {
	b   []byte
	tag string
}

func (e encoded) Call(ctx context.Context, i int) (string, string, error) {
	req := e.reqs[i%len(e.reqs)]
	var rsp []byte
	err := e.conn.Invoke(ctx, fnv1.FunctionRunnerService_RunFunction_FullMethodName, req.b, &rsp, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		return req.tag, "", err
	}
	tag, err := responseTag(rsp)
	return req.tag, tag, err
}

// rawCodec passes encoded messages through.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot send %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot receive into %T", v)
	}
	*p = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// responseTag reads meta.tag (field 1 of field 1) of an encoded
// RunFunctionResponse.
func responseTag(b []byte) (string, error) {
	meta, err := field(b, 1)
	if err != nil {
		return "", err
	}
	tag, err := field(meta, 1)
	return string(tag), err
}

// field returns the last length-delimited field number n of an encoded
// message.
func field(b []byte, n protowire.Number) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
		if num == n && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil, protowire.ParseError(l)
			}
			out = v
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(num, typ, b)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
	}
	if out == nil {
		return nil, errors.New("the response has no meta.tag")
	}
	return out, nil
}

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

// Run calls from callers goroutines until d has passed (or ctx ends), and
// reports every call's latency as p50 and p99. A response that does not
// carry the request's tag counts as an error.
func Run(ctx context.Context, c Caller, callers int, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return run(ctx, c, callers, -1)
}

// RunN makes n calls in all, as Run does.
func RunN(ctx context.Context, c Caller, callers, n int) Result {
	return run(ctx, c, callers, n)
}

// run calls until ctx ends or, with n >= 0, n calls have started.
func run(ctx context.Context, c Caller, callers, n int) Result {
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
				t0 := time.Now()
				// Each call gets its own deadline: the run's end must not
				// cut a call that started in time.
				cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
				want, got, err := c.Call(cctx, int(k))
				ccancel()
				own = append(own, time.Since(t0))
				if err == nil && got != want {
					err = errTag{want: want, got: got}
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
