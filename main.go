// Package main implements function-fullstack, a Crossplane composition
// function that composes full-stack applications.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	function "github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
)

// version is the release this binary was built for, stamped by
// hack/xpkg.sh with -ldflags "-X main.version=v0.1.0".
var version = "dev"

// CLI of this Function.
type CLI struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string        `default:"tcp"     help:"Network on which to listen for gRPC connections."`
	Address            string        `default:":9443"   help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string        `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)"`
	Insecure           bool          `help:"Run without mTLS credentials. With it, --tls-certs-dir is ignored."`
	MaxRecvMessageSize int           `default:"4"       help:"Maximum size of received messages in MB."`
	MetricsAddress     string        `default:":8080"   help:"Address at which to serve Prometheus metrics. Set it to an empty string to turn the metrics server off; move it when it would collide with another process, such as Crossplane's own metrics port." env:"METRICS_ADDRESS"`
	GracePeriod        time.Duration `default:"20s"     help:"On SIGTERM or SIGINT, how long calls in flight may take to finish before the function exits. Keep it below the pod's terminationGracePeriodSeconds."`
	MaxConcurrentCalls uint32        `default:"16"      help:"How many calls one connection may have in flight (Crossplane keeps one connection per function); further calls wait, queued in Crossplane's gRPC client, so memory stays bounded under any load. The work is CPU-bound: more calls in flight than CPUs add memory, not throughput. 0 lifts the limit." env:"MAX_CONCURRENT_CALLS"`
}

// Run this Function until SIGTERM or SIGINT, then drain.
func (c *CLI) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return c.serve(ctx)
}

func (c *CLI) serve(ctx context.Context) error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	log.Info("starting function-fullstack", "version", version)
	if limit, source := memoryLimit(os.Getenv("GOMEMLIMIT"), cgroupMemoryMax); limit > 0 {
		debug.SetMemoryLimit(limit)
		log.Debug("soft memory limit", "bytes", limit, "from", source)
	}
	return c.server(log).run(ctx, &Function{log: log})
}

// server is the gRPC server the flags describe.
func (c *CLI) server(log logging.Logger) *server {
	return &server{
		network: c.Network, address: c.Address, tlsCertsDir: c.TLSCertsDir, insecure: c.Insecure,
		maxRecvMsgSize: c.MaxRecvMessageSize * 1024 * 1024, metricsAddress: c.MetricsAddress, grace: c.GracePeriod, log: log,
		maxConcurrentCalls: c.MaxConcurrentCalls,
	}
}

// cgroupMemoryMax is where cgroup v2 puts the container's memory limit.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// MemoryLimitShare is the share of the container's memory limit the Go
// runtime aims to stay under: past it the garbage collector works harder
// rather than let the kernel kill the pod.
const MemoryLimitShare = 0.8

// memoryLimit returns the soft memory limit to set and where it comes from:
// none when GOMEMLIMIT is set (the runtime has read it) or the container has
// no memory limit; otherwise MemoryLimitShare of the cgroup's limit.
func memoryLimit(gomemlimit, cgroupFile string) (int64, string) {
	if gomemlimit != "" {
		return 0, "GOMEMLIMIT"
	}
	b, err := os.ReadFile(cgroupFile) //nolint:gosec // A fixed path, or a test's file.
	if err != nil {
		return 0, ""
	}
	max, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || max <= 0 { // "max": no limit
		return 0, ""
	}
	return int64(float64(max) * MemoryLimitShare), cgroupFile
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("A Crossplane composition function that composes full-stack applications."))
	ctx.FatalIfErrorf(ctx.Run())
}
