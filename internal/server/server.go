// Package server serves a composition function over gRPC as Crossplane
// calls it: what function-sdk-go's Serve does, plus a graceful stop, a
// bound on the calls in flight, and a metrics endpoint.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	function "github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	fnv1beta1 "github.com/crossplane/function-sdk-go/proto/v1beta1"
	grpcprometheus "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Flags are the command-line flags that say how the function is served.
type Flags struct {
	Network            string        `default:"tcp"     help:"Network on which to listen for gRPC connections."`
	Address            string        `default:":9443"   help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string        `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)"`
	Insecure           bool          `help:"Run without mTLS credentials. With it, --tls-certs-dir is ignored."`
	MaxRecvMessageSize int           `default:"4"       help:"Maximum size of received messages in MB."`
	MetricsAddress     string        `default:":8080"   help:"Address at which to serve Prometheus metrics. Set it to an empty string to turn the metrics server off; move it when it would collide with another process, such as Crossplane's own metrics port." env:"METRICS_ADDRESS"`
	GracePeriod        time.Duration `default:"20s"     help:"On SIGTERM or SIGINT, how long calls in flight may take to finish before the function exits. Keep it below the pod's terminationGracePeriodSeconds."`
	MaxConcurrentCalls uint32        `default:"16"      help:"How many calls one connection may have in flight (Crossplane keeps one connection per function); further calls wait, queued in Crossplane's gRPC client, so memory stays bounded under any load. The work is CPU-bound: more calls in flight than CPUs add memory, not throughput. 0 lifts the limit." env:"MAX_CONCURRENT_CALLS"`
}

// Server is the gRPC server the flags describe.
func (f Flags) Server(log logging.Logger) *Server {
	return &Server{
		Network: f.Network, Address: f.Address, TLSCertsDir: f.TLSCertsDir, Insecure: f.Insecure,
		MaxRecvMsgSize: f.MaxRecvMessageSize * 1024 * 1024, MetricsAddress: f.MetricsAddress, Grace: f.GracePeriod, Log: log,
		MaxConcurrentCalls: f.MaxConcurrentCalls,
	}
}

// Server is how the function is served. It does what function-sdk-go's
// Serve does (mTLS with client certificates from --tls-certs-dir, the v1
// and v1beta1 services, gRPC health, reflection, Prometheus metrics) and
// also stops gracefully: when ctx ends (SIGTERM, as Kubernetes stops a pod)
// it reports NOT_SERVING, refuses new calls, and lets the calls in flight
// finish for up to grace.
type Server struct {
	Network, Address string
	TLSCertsDir      string
	Insecure         bool
	MaxRecvMsgSize   int
	// MetricsAddress is where Prometheus metrics are served; empty: none.
	MetricsAddress string
	Grace          time.Duration
	Log            logging.Logger
	// MaxConcurrentCalls bounds the calls in flight on one connection;
	// 0 lifts the bound.
	MaxConcurrentCalls uint32
	// Instrument, when metrics are served, wraps the function with the
	// function's own metrics, registered with the registerer it is given.
	Instrument func(fnv1.FunctionRunnerServiceServer, prometheus.Registerer) (fnv1.FunctionRunnerServiceServer, error)
}

// InsecureWarning is logged when the function serves without mTLS.
const InsecureWarning = "serving gRPC without TLS (--insecure): any process that reaches the address can call the function and read what it returns; use it only for crossplane render and local development, never in a cluster"

// credentials returns the transport credentials: mTLS that requires a
// client certificate signed by the CA in ca.crt, or none with --insecure.
func (s *Server) credentials() (credentials.TransportCredentials, error) {
	if s.Insecure {
		s.Log.Info(InsecureWarning)
		return insecure.NewCredentials(), nil
	}
	if s.TLSCertsDir == "" {
		return nil, errors.New("no TLS certificates: set --tls-certs-dir (or TLS_SERVER_CERTS_DIR) to a directory holding tls.crt, tls.key and ca.crt, or use --insecure for local development")
	}
	// The SDK's option loads the key pair and the client CA and requires
	// and verifies client certificates.
	opts := &function.ServeOptions{}
	if err := function.MTLSCertificates(s.TLSCertsDir)(opts); err != nil {
		return nil, fmt.Errorf("--tls-certs-dir %s: %w", s.TLSCertsDir, err)
	}
	return opts.Credentials, nil
}

// Run serves fn until ctx ends, then drains.
func (s *Server) Run(ctx context.Context, fn fnv1.FunctionRunnerServiceServer) error {
	creds, err := s.credentials()
	if err != nil {
		return err
	}
	lis, err := (&net.ListenConfig{}).Listen(ctx, s.Network, s.Address)
	if err != nil {
		return fmt.Errorf("cannot listen for %s connections at %q: %w", s.Network, s.Address, err)
	}

	opts := []grpc.ServerOption{grpc.Creds(creds), grpc.MaxRecvMsgSize(s.MaxRecvMsgSize)}
	if s.MaxConcurrentCalls > 0 {
		opts = append(opts, grpc.MaxConcurrentStreams(s.MaxConcurrentCalls))
	}
	var metrics *grpcprometheus.ServerMetrics
	if s.MetricsAddress != "" {
		metrics = grpcprometheus.NewServerMetrics()
		if err := prometheus.DefaultRegisterer.Register(metrics); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return err
			}
			metrics = are.ExistingCollector.(*grpcprometheus.ServerMetrics) //nolint:forcetypeassert // Registered by an earlier run in this process.
		}
		opts = append(opts, grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor()))
		if s.Instrument != nil {
			if fn, err = s.Instrument(fn, prometheus.DefaultRegisterer); err != nil {
				return err
			}
		}
	}
	srv := grpc.NewServer(opts...)
	fnv1.RegisterFunctionRunnerServiceServer(srv, fn)
	fnv1beta1.RegisterFunctionRunnerServiceServer(srv, function.ServeBeta(fn))
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	var ms *http.Server
	if metrics != nil {
		metrics.InitializeMetrics(srv)
		ml, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.MetricsAddress)
		if err != nil {
			_ = lis.Close()
			return fmt.Errorf("cannot serve metrics at %q: %w; move them with --metrics-address, or turn them off with --metrics-address=", s.MetricsAddress, err)
		}
		ms = &http.Server{Handler: promhttp.Handler(), ReadHeaderTimeout: 30 * time.Second}
		go func() {
			if err := ms.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.Log.Info("metrics server stopped", "address", s.MetricsAddress, "error", err.Error())
			}
		}()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	s.Log.Debug("serving", "network", s.Network, "address", lis.Addr().String(), "mtls", !s.Insecure)

	select {
	case err := <-served:
		return fmt.Errorf("cannot serve gRPC: %w", err)
	case <-ctx.Done():
	}
	s.Log.Info("stopping: refusing new calls, finishing the calls in flight", "grace", s.Grace.String())
	hs.Shutdown()
	drained := make(chan struct{})
	go func() { srv.GracefulStop(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(s.Grace):
		s.Log.Info("calls still in flight after the grace period; stopping them", "grace", s.Grace.String())
		srv.Stop()
	}
	if ms != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = ms.Shutdown(sctx)
	}
	s.Log.Info("stopped")
	return nil
}
