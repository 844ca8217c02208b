package binary

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/fullstack-fn/function-fullstack/internal/server"
)

// The floor of a call over gRPC is what the server does without the
// function: accept the call over the same transport (mTLS, HTTP/2, the
// same server options and interceptors), decode the request, and encode
// the response. The floor server is this test binary serving the
// function's gRPC server (CLI.server) with a stand-in that answers every
// request with the response the function gave it, computed beforehand.
// BenchmarkGRPC runs it beside the binary, so the binary's latency can be
// read against the floor measured in the same run.

// floorResponsesEnv, set to a file of length-delimited responses, makes
// this test binary the floor server; its arguments are the binary's flags.
const floorResponsesEnv = "FUNCTION_FULLSTACK_FLOOR_RESPONSES"

func TestMain(m *testing.M) {
	if path := os.Getenv(floorResponsesEnv); path != "" {
		if err := serveFloor(path, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "floor server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// floorFunction answers each request with the response the function gave
// to the request of the same tag.
type floorFunction struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	responses map[string]*fnv1.RunFunctionResponse
}

func (f *floorFunction) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp, ok := f.responses[req.GetMeta().GetTag()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "the floor server has no response for tag %q", req.GetMeta().GetTag())
	}
	// The same message for every call of a tag: protobuf-go marshals one
	// message from many goroutines safely (it only reads it, and caches
	// sizes atomically).
	return rsp, nil
}

// serveFloor reads the responses at path and serves them with the
// function's server and flags until SIGTERM or SIGINT.
func serveFloor(path string, args []string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fn := &floorFunction{responses: map[string]*fnv1.RunFunctionResponse{}}
	in := bufio.NewReader(f)
	for {
		rsp := &fnv1.RunFunctionResponse{}
		if err := (protodelim.UnmarshalOptions{MaxSize: -1}).UnmarshalFrom(in, rsp); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		fn.responses[rsp.GetMeta().GetTag()] = rsp
	}
	// The function's own server, with the flags the binary takes.
	var flags server.Flags
	parser, err := kong.New(&flags)
	if err != nil {
		return err
	}
	if _, err := parser.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return flags.Server(logging.NewNopLogger()).Run(ctx, fn)
}

// startFloor has the built binary answer every request and starts the
// floor server with those responses and args.
func startFloor(t testing.TB, reqs []*fnv1.RunFunctionRequest, args ...string) *proc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "responses")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fn := dial(t, start(t, "--insecure").addr, plaintext)
	for _, req := range reqs {
		rsp, err := fn.RunFunction(callCtx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := protodelim.MarshalTo(out, rsp); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return startProcess(t, os.Args[0], []string{floorResponsesEnv + "=" + path}, args...)
}

// TestFloorServer checks the floor BenchmarkGRPC measures: over mTLS, the
// floor server answers every example's request with exactly what the
// binary answers.
func TestFloorServer(t *testing.T) {
	reqs := allRequests(t)
	p := newPKI(t)
	floor := dial(t, startFloor(t, reqs, "--tls-certs-dir="+p.dir).addr, mtls(p))
	fn := dial(t, start(t, "--tls-certs-dir="+p.dir).addr, mtls(p))
	for _, req := range reqs {
		t.Run(req.GetMeta().GetTag(), func(t *testing.T) {
			want, err := fn.RunFunction(callCtx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := floor.RunFunction(callCtx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("floor server: -binary, +floor:\n%s", diff)
			}
		})
	}
	unknown := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "no-such-tag"}}
	if _, err := floor.RunFunction(callCtx(t), unknown); status.Code(err) != codes.NotFound {
		t.Errorf("floor server, unknown tag: got %v, want NotFound", err)
	}
}
