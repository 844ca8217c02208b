package main

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

// server is how the function is served. It does what function-sdk-go's
// Serve does (mTLS with client certificates from --tls-certs-dir, the v1
// and v1beta1 services, gRPC health, reflection, Prometheus metrics) and
// also stops gracefully: when ctx ends (SIGTERM, as Kubernetes stops a pod)
// it reports NOT_SERVING, refuses new calls, and lets the calls in flight
// finish for up to grace.
type server struct {
	network, address string
	tlsCertsDir      string
	insecure         bool
	maxRecvMsgSize   int
	metricsAddress   string
	grace            time.Duration
	log              logging.Logger
	// maxConcurrentCalls bounds the calls in flight on one connection;
	// 0 lifts the bound.
	maxConcurrentCalls uint32
}

// InsecureWarning is logged when the function serves without mTLS.
const InsecureWarning = "serving gRPC without TLS (--insecure): any process that reaches the address can call the function and read what it returns; use it only for crossplane render and local development, never in a cluster"

// credentials returns the transport credentials: mTLS that requires a
// client certificate signed by the CA in ca.crt, or none with --insecure.
func (s *server) credentials() (credentials.TransportCredentials, error) {
	if s.insecure {
		s.log.Info(InsecureWarning)
		return insecure.NewCredentials(), nil
	}
	if s.tlsCertsDir == "" {
		return nil, errors.New("no TLS certificates: set --tls-certs-dir (or TLS_SERVER_CERTS_DIR) to a directory holding tls.crt, tls.key and ca.crt, or use --insecure for local development")
	}
	// The SDK's option loads the key pair and the client CA and requires
	// and verifies client certificates.
	opts := &function.ServeOptions{}
	if err := function.MTLSCertificates(s.tlsCertsDir)(opts); err != nil {
		return nil, fmt.Errorf("--tls-certs-dir %s: %w", s.tlsCertsDir, err)
	}
	return opts.Credentials, nil
}

// run serves fn until ctx ends, then drains.
func (s *server) run(ctx context.Context, fn fnv1.FunctionRunnerServiceServer) error {
	creds, err := s.credentials()
	if err != nil {
		return err
	}
	lis, err := (&net.ListenConfig{}).Listen(ctx, s.network, s.address)
	if err != nil {
		return fmt.Errorf("cannot listen for %s connections at %q: %w", s.network, s.address, err)
	}

	opts := []grpc.ServerOption{grpc.Creds(creds), grpc.MaxRecvMsgSize(s.maxRecvMsgSize)}
	if s.maxConcurrentCalls > 0 {
		opts = append(opts, grpc.MaxConcurrentStreams(s.maxConcurrentCalls))
	}
	var metrics *grpcprometheus.ServerMetrics
	if s.metricsAddress != "" {
		metrics = grpcprometheus.NewServerMetrics()
		if err := prometheus.DefaultRegisterer.Register(metrics); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return err
			}
			metrics = are.ExistingCollector.(*grpcprometheus.ServerMetrics) //nolint:forcetypeassert // Registered by an earlier run in this process.
		}
		opts = append(opts, grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor()))
		own, err := newMetrics().register(prometheus.DefaultRegisterer)
		if err != nil {
			return err
		}
		fn = &instrumented{fn: fn, m: own}
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
		ml, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.metricsAddress)
		if err != nil {
			_ = lis.Close()
			return fmt.Errorf("cannot serve metrics at %q: %w; move them with --metrics-address, or turn them off with --metrics-address=", s.metricsAddress, err)
		}
		ms = &http.Server{Handler: promhttp.Handler(), ReadHeaderTimeout: 30 * time.Second}
		go func() {
			if err := ms.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Info("metrics server stopped", "address", s.metricsAddress, "error", err.Error())
			}
		}()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	s.log.Debug("serving", "network", s.network, "address", lis.Addr().String(), "mtls", !s.insecure)

	select {
	case err := <-served:
		return fmt.Errorf("cannot serve gRPC: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("stopping: refusing new calls, finishing the calls in flight", "grace", s.grace.String())
	hs.Shutdown()
	drained := make(chan struct{})
	go func() { srv.GracefulStop(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(s.grace):
		s.log.Info("calls still in flight after the grace period; stopping them", "grace", s.grace.String())
		srv.Stop()
	}
	if ms != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = ms.Shutdown(sctx)
	}
	s.log.Info("stopped")
	return nil
}
