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

	"github.com/alecthomas/kong"

	function "github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"

	"github.com/fullstack-fn/function-fullstack/internal/server"
)

// version is the release this binary was built for, stamped by
// hack/xpkg.sh with -ldflags "-X main.version=v0.1.0".
var version = "dev"

// CLI of this Function.
type CLI struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	server.Flags `embed:""`
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
	return c.server(log).Run(ctx, &Function{log: log})
}

// server is the gRPC server the flags describe, with the function's own
// metrics beside gRPC's.
func (c *CLI) server(log logging.Logger) *server.Server {
	s := c.Server(log)
	s.Instrument = instrument
	return s
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
