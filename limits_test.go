package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
)

func TestMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	limited := write("limited", "134217728\n")
	cases := map[string]struct {
		gomemlimit, file string
		want             int64
		source           string
	}{
		"A container limit of 128 MiB":   {file: limited, want: 107374182, source: limited},
		"GOMEMLIMIT set: the runtime's":  {gomemlimit: "64MiB", file: limited, want: 0, source: "GOMEMLIMIT"},
		"No container limit (max)":       {file: write("unlimited", "max\n")},
		"No cgroup v2 file":              {file: filepath.Join(dir, "absent")},
		"Something else in the file":     {file: write("garbage", "lots\n")},
		"A zero limit is not a limit":    {file: write("zero", "0\n")},
		"A limit without a newline read": {file: write("bare", "1000"), want: 800, source: filepath.Join(dir, "bare")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, source := memoryLimit(tc.gomemlimit, tc.file)
			if got != tc.want || source != tc.source {
				t.Errorf("memoryLimit(%q, %q): got %d from %q, want %d from %q", tc.gomemlimit, tc.file, got, source, tc.want, tc.source)
			}
		})
	}
}

// TestMaxConcurrentCalls holds every call in the function and sends more
// calls than --max-concurrent-calls allows on the one connection: only
// that many reach the function, the rest wait in the client, and once the
// function lets go every call succeeds.
func TestMaxConcurrentCalls(t *testing.T) {
	const limit, calls = 3, 12
	addr := freeAddr(t)
	s := &server{network: "tcp", address: addr, insecure: true, maxRecvMsgSize: 4 << 20, grace: 5 * time.Second,
		log: logging.NewNopLogger(), maxConcurrentCalls: limit}
	fn := &heldFunction{Function: Function{log: logging.NewNopLogger()}, release: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.run(ctx, fn) }()
	t.Cleanup(func() { stop(); <-served })

	client := dial(t, addr, plaintext)
	req := example{Name: "xnodeapp", Scenario: "nothing-exists", Dir: "example/xnodeapp"}.request(t)
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
	Function
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
	return f.Function.RunFunction(ctx, req)
}
