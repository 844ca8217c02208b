// Command function-environment-configs serves the played
// function-environment-configs (package envconfigs) with the flags of the
// real one's main.go (v0.7.1): --address, --tls-certs-dir, --insecure; its
// metrics are off unless --metrics-address is set.
// hack/render.sh and the e2e run it where the real function would run.
package main

import (
	"github.com/alecthomas/kong"
	function "github.com/crossplane/function-sdk-go"

	"github.com/fullstack-fn/function-fullstack/test/envconfigs"
)

// CLI is the real function's command line.
type CLI struct {
	Debug              bool   `help:"Emit debug logs in addition to info logs." short:"d"`
	Network            string `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address            string `default:":9443" help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)"`
	Insecure           bool   `help:"Run without mTLS credentials."`
	MaxRecvMessageSize int    `default:"4"     help:"Maximum size of received messages in MB."`
	// The real function serves Prometheus metrics at :8080, the SDK's
	// default; here they are off unless asked for, since on one machine
	// that port belongs to Crossplane's RBAC manager in the e2e.
	MetricsAddress string `default:"" help:"Address at which to serve Prometheus metrics; empty: none."`
}

// Run serves the function until it is stopped.
func (c *CLI) Run() error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	log.Info("starting function-environment-configs (played from its source)", "version", envconfigs.Version)
	return function.Serve(envconfigs.Function{},
		function.Listen(c.Network, c.Address),
		function.MTLSCertificates(c.TLSCertsDir),
		function.Insecure(c.Insecure),
		function.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		function.WithMetricsServer(c.MetricsAddress))
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("function-environment-configs "+envconfigs.Version+", played from its source for function-fullstack's tests."))
	ctx.FatalIfErrorf(ctx.Run())
}
