package server

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/fullstack-fn/function-fullstack/test/loopback"
)

// answer is a function that answers every call with an empty response of
// the request's tag: the server, not the function, is under test.
type answer struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

func (answer) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return &fnv1.RunFunctionResponse{Meta: &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag()}}, nil
}

var plaintext = insecure.NewCredentials()

func dial(t testing.TB, addr string, creds credentials.TransportCredentials) fnv1.FunctionRunnerServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return fnv1.NewFunctionRunnerServiceClient(conn)
}

func callCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestGracefulStop: once told to stop (SIGTERM), the server reports
// NOT_SERVING, refuses new calls, and lets a call in flight finish.
func TestGracefulStop(t *testing.T) {
	addr := loopback.Addr(t)
	log, err := logging.NewLogger(false)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Network: "tcp", Address: addr, Insecure: true, MaxRecvMsgSize: 4 << 20, Grace: 10 * time.Second, Log: log}
	fn := &slowFunction{started: make(chan struct{}), release: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Run(ctx, fn) }()

	client := dial(t, addr, plaintext)
	req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "graceful"}}
	inFlight := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 100; i++ { // until the server listens
			if _, err = client.RunFunction(context.Background(), req); status.Code(err) != codes.Unavailable {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		inFlight <- err
	}()
	select {
	case <-fn.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the call never reached the function")
	}
	stop() // what SIGTERM does in Run

	// A new connection is refused while the call in flight runs.
	deadline := time.Now().Add(5 * time.Second)
	var refused error
	for time.Now().Before(deadline) {
		if _, refused = dial(t, addr, plaintext).RunFunction(callCtx(t), req); refused != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if refused == nil {
		t.Errorf("a new call was answered after the server was told to stop")
	}
	close(fn.release)
	if err := <-inFlight; err != nil {
		t.Errorf("the call in flight failed: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop once the call in flight finished")
	}
}

// slowFunction holds its first call until released.
type slowFunction struct {
	answer
	once             sync.Once
	started, release chan struct{}
}

func (f *slowFunction) RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	first := false
	f.once.Do(func() { first = true; close(f.started) })
	if first {
		<-f.release
	}
	return f.answer.RunFunction(ctx, req)
}

// TestMaxConcurrentCalls holds every call in the function and sends more
// calls than --max-concurrent-calls allows on the one connection: only
// that many reach the function, the rest wait in the client, and once the
// function lets go every call succeeds.
func TestMaxConcurrentCalls(t *testing.T) {
	const limit, calls = 3, 12
	addr := loopback.Addr(t)
	s := &Server{Network: "tcp", Address: addr, Insecure: true, MaxRecvMsgSize: 4 << 20, Grace: 5 * time.Second,
		Log: logging.NewNopLogger(), MaxConcurrentCalls: limit}
	fn := &heldFunction{release: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Run(ctx, fn) }()
	t.Cleanup(func() { stop(); <-served })

	client := dial(t, addr, plaintext)
	req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "held"}}
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.RunFunction(callCtx(t), req, grpc.WaitForReady(true))
			errs <- err
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for fn.inFlight.Load() < limit && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // time for any call past the limit to arrive
	if got := fn.peak.Load(); got != limit {
		t.Errorf("calls in the function at once: got %d, want %d", got, limit)
	}
	close(fn.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a call waiting for its turn failed: %v", err)
		}
	}
	if got := fn.calls.Load(); got != calls {
		t.Errorf("calls answered: got %d, want %d", got, calls)
	}
}

// heldFunction holds every call until release is closed, counting the
// calls in flight and their peak.
type heldFunction struct {
	answer
	release               chan struct{}
	inFlight, peak, calls atomic.Int64
}

func (f *heldFunction) RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	n := f.inFlight.Add(1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	<-f.release
	f.inFlight.Add(-1)
	f.calls.Add(1)
	return f.answer.RunFunction(ctx, req)
}
