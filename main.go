// Package main implements function-fullstack, a Crossplane composition
// function that composes full-stack applications.
package main

import (
	"context"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	function "github.com/crossplane/function-sdk-go"
)

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
	s := &server{
		network: c.Network, address: c.Address, tlsCertsDir: c.TLSCertsDir, insecure: c.Insecure,
		maxRecvMsgSize: c.MaxRecvMessageSize * 1024 * 1024, metricsAddress: c.MetricsAddress, grace: c.GracePeriod, log: log,
	}
	return s.run(ctx, &Function{log: log})
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("A Crossplane composition function that composes full-stack applications."))
	ctx.FatalIfErrorf(ctx.Run())
}
