// Package main implements function-fullstack, a Crossplane composition
// function that composes full-stack applications.
package main

import (
	"github.com/alecthomas/kong"
	"google.golang.org/grpc/health"

	function "github.com/crossplane/function-sdk-go"
)

// CLI of this Function.
type CLI struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string `default:"tcp"     help:"Network on which to listen for gRPC connections."`
	Address            string `default:":9443"   help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)"`
	Insecure           bool   `help:"Run without mTLS credentials. With it, --tls-certs-dir is ignored."`
	MaxRecvMessageSize int    `default:"4"       help:"Maximum size of received messages in MB."`
	MetricsAddress     string `default:":8080"   help:"Address at which to serve Prometheus metrics. Set it to an empty string to turn the metrics server off; move it when it would collide with another process, such as Crossplane's own metrics port." env:"METRICS_ADDRESS"`
}

// Run this Function.
func (c *CLI) Run() error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}

	return function.Serve(&Function{log: log},
		function.Listen(c.Network, c.Address),
		function.MTLSCertificates(c.TLSCertsDir),
		function.Insecure(c.Insecure),
		function.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		function.WithMetricsServer(c.MetricsAddress),
		// The standard gRPC health service, on the gRPC address, for
		// probes (grpc_health_probe, Kubernetes gRPC probes).
		function.WithHealthServer(health.NewServer()))
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("A Crossplane composition function that composes full-stack applications."))
	ctx.FatalIfErrorf(ctx.Run())
}
