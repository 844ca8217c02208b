package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/fullstack-fn/function-fullstack/internal/server"
	"github.com/fullstack-fn/function-fullstack/test/loopback"
)

// TestServe starts the function as main does and talks to it over gRPC: the
// health service answers, the metrics server listens where it is told, and
// RunFunction composes an example.
func TestServe(t *testing.T) {
	addr, metrics := loopback.Addr(t), loopback.Addr(t)
	cli := &CLI{Flags: server.Flags{Network: "tcp", Address: addr, Insecure: true, MaxRecvMessageSize: 4, MetricsAddress: metrics}}
	go func() {
		if err := cli.Run(); err != nil {
			t.Errorf("CLI.Run: %v", err)
		}
	}()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var health *healthpb.HealthCheckResponse
	for ctx.Err() == nil {
		if health, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	if diff := cmp.Diff(healthpb.HealthCheckResponse_SERVING, health.GetStatus()); diff != "" {
		t.Errorf("health: -want, +got:\n%s", diff)
	}

	req := exampleOf("xnodeapp", "nothing-exists").request(t)
	rsp, err := fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(ctx, req)
	if err != nil {
		t.Fatalf("RunFunction over gRPC: %v", err)
	}
	if diff := cmp.Diff([]string{"backend-deployment", "backend-service", "database", "frontend-deployment", "frontend-service", "ingress",
		"network-policy-api", "network-policy-database", "network-policy-frontend", "service-account"}, sortedNames(rsp.GetDesired().GetResources())); diff != "" {
		t.Errorf("desired resources over gRPC: -want, +got:\n%s", diff)
	}

	mr, err := http.Get(fmt.Sprintf("http://%s/metrics", metrics))
	if err != nil {
		t.Fatalf("metrics server at %s: %v", metrics, err)
	}
	defer mr.Body.Close()
	if mr.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics: %s", mr.Status)
	}
}
