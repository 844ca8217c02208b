package binary

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/fullstack-fn/function-fullstack/test/load"
	"github.com/fullstack-fn/function-fullstack/test/loopback"
	"github.com/fullstack-fn/function-fullstack/test/pki"
	"github.com/fullstack-fn/function-fullstack/test/scenarios"
)

// Package binary tests the built function binary as Crossplane runs it:
// over gRPC on loopback, with mTLS unless a test says otherwise. Its
// transport, shutdown, load, benchmarks against a floor server, and the
// real PostgreSQL clients that connect with what it composes. The
// function's own tests live beside it in the repository's root.

const (
	// module is the function's main package; root is the repository's
	// root, seen from this package.
	module = "github.com/fullstack-fn/function-fullstack"
	root   = "../.."
	// insecureWarning is what the binary logs when it serves without
	// mTLS (serve.go's InsecureWarning).
	insecureWarning = "serving gRPC without TLS (--insecure)"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the function once per test run and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "function-fullstack-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "function-fullstack")
		// go test puts its own GOROOT/bin first on the PATH of tests.
		out, err := exec.Command("go", "build", "-trimpath", "-o", binPath, module).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// certs is a CA and what it signed: the server's certificate (for
// 127.0.0.1) in a directory for --tls-certs-dir, and a client's, as
// Crossplane has one.
type certs struct {
	dir    string // holds tls.crt, tls.key, ca.crt
	caPool *x509.CertPool
	client tls.Certificate
}

func newPKI(t testing.TB) *certs {
	t.Helper()
	ca, err := pki.NewCA("crossplane-root-ca")
	if err != nil {
		t.Fatal(err)
	}
	srvCert, srvKey, err := ca.Server(nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"tls.crt": srvCert, "tls.key": srvKey, "ca.crt": ca.PEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cliCert, cliKey, err := ca.Client("crossplane")
	if err != nil {
		t.Fatal(err)
	}
	client, err := tls.X509KeyPair(cliCert, cliKey)
	if err != nil {
		t.Fatal(err)
	}
	return &certs{dir: dir, caPool: ca.Pool(), client: client}
}

// clientTLS is what Crossplane's function runner uses: the client
// certificate, and the CA the server's certificate must chain to.
func (p *certs) clientTLS() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: p.caPool, Certificates: []tls.Certificate{p.client}, ServerName: "127.0.0.1"}
}

// proc is one run of the binary.
type proc struct {
	cmd     *exec.Cmd
	addr    string
	metrics string
	mu      sync.Mutex
	out     bytes.Buffer
	done    chan struct{}
	err     error
}

type lockedWriter struct{ p *proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// Output is what the binary has logged so far, stdout and stderr.
func (p *proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// start runs the binary on free loopback ports with args and waits until
// it accepts connections. It is killed when the test ends, if still
// running.
func start(t testing.TB, args ...string) *proc {
	t.Helper()
	return startBinary(t, binary(t), args...)
}

// startBinary runs the function binary at path, as start does.
func startBinary(t testing.TB, path string, args ...string) *proc {
	t.Helper()
	return startProcess(t, path, nil, args...)
}

// startProcess runs the program at path with env added to this process's
// environment, as start does.
func startProcess(t testing.TB, path string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{addr: loopback.Addr(t), metrics: loopback.Addr(t), done: make(chan struct{})}
	p.cmd = exec.Command(path, append([]string{"--address=" + p.addr, "--metrics-address=" + p.metrics}, args...)...)
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = lockedWriter{p}, lockedWriter{p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("the function exited: %v\n%s", p.err, p.Output())
		default:
		}
		if c, err := net.DialTimeout("tcp", p.addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the function does not listen at %s:\n%s", p.addr, p.Output())
	return nil
}

// wait waits for the binary to exit and returns its exit code.
func (p *proc) wait(t testing.TB, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("the function still runs after %s:\n%s", d, p.Output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// peakRSS is the highest resident set size the process has had (VmHWM).
func (p *proc) peakRSS(t testing.TB) int64 {
	t.Helper()
	return procStatus(t, p.cmd.Process.Pid, "VmHWM")
}

// cpuTime is the CPU time (user and system) the binary has used so far,
// from /proc/PID/stat (utime and stime, in clock ticks of 10 ms).
func (p *proc) cpuTime(t testing.TB) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces; the fields after it
	// start after its closing parenthesis.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		t.Fatalf("short /proc/%d/stat: %q", p.cmd.Process.Pid, b)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

func procStatus(t testing.TB, pid int, key string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

// metric reads one unlabelled gauge from the function's Prometheus
// endpoint.
func (p *proc) metric(t testing.TB, name string) float64 {
	t.Helper()
	rsp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	s := bufio.NewScanner(rsp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func dial(t testing.TB, addr string, creds credentials.TransportCredentials) fnv1.FunctionRunnerServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return fnv1.NewFunctionRunnerServiceClient(conn)
}

// encodedCaller dials addr and returns a load.Caller that sends every
// request encoded once and reads only each response's tag.
func encodedCaller(t testing.TB, addr string, creds credentials.TransportCredentials, reqs []*fnv1.RunFunctionRequest) load.Caller {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c, err := load.Encoded(conn, reqs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mtls(p *certs) credentials.TransportCredentials { return credentials.NewTLS(p.clientTLS()) }

var plaintext = insecure.NewCredentials()

// sigterm asks the binary to stop, as the kubelet does.
func (p *proc) sigterm(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// allRequests is every example scenario's request, each with its own tag.
func allRequests(t testing.TB) []*fnv1.RunFunctionRequest {
	t.Helper()
	all, err := scenarios.All(root)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*fnv1.RunFunctionRequest, 0, len(all))
	for _, e := range all {
		req, err := e.Request()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, req)
	}
	return out
}

// request is the RunFunctionRequest of one example's scenario.
func request(t testing.TB, example, scenario string) *fnv1.RunFunctionRequest {
	t.Helper()
	req, err := scenarios.Of(root, example, scenario).Request()
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func toStruct(t testing.TB, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatalf("cannot convert to a protobuf Struct: %v", err)
	}
	return s
}

func callCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
