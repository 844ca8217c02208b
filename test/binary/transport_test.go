package binary

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/fullstack-fn/function-fullstack/test/load"
	"github.com/fullstack-fn/function-fullstack/test/loopback"
)

// TestTransport calls the built binary, served with --tls-certs-dir, the
// way Crossplane does and the ways an intruder might: only a client
// certificate signed by the CA in ca.crt gets an answer.
func TestTransport(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t) // another CA, and a client certificate it signed
	fn := start(t, "--tls-certs-dir="+p.dir)
	req := request(t, "xnodeapp", "nothing-exists")

	noClientCert := p.clientTLS()
	noClientCert.Certificates = nil
	otherCAClient := p.clientTLS()
	otherCAClient.Certificates = []tls.Certificate{other.client}
	wrongServerCA := p.clientTLS()
	wrongServerCA.RootCAs = x509.NewCertPool()

	cases := map[string]struct {
		creds credentials.TransportCredentials
		ok    bool
	}{
		"ClientCertificateFromTheCA":     {creds: mtls(p), ok: true},
		"Plaintext":                      {creds: plaintext},
		"TLSWithoutAClientCertificate":   {creds: credentials.NewTLS(noClientCert)},
		"ClientCertificateFromAnotherCA": {creds: credentials.NewTLS(otherCAClient)},
		"ServerNotTrustedByTheClient":    {creds: credentials.NewTLS(wrongServerCA)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := dial(t, fn.addr, tc.creds).RunFunction(callCtx(t), req)
			if tc.ok {
				if err != nil {
					t.Fatalf("RunFunction: %v", err)
				}
				if got := len(rsp.GetDesired().GetResources()); got == 0 {
					t.Errorf("RunFunction composed nothing")
				}
				return
			}
			if err == nil {
				t.Fatalf("RunFunction answered a client it must refuse")
			}
			if got := status.Code(err); got != codes.Unavailable {
				t.Errorf("refused with %s (%v), want Unavailable: the handshake fails before any call", got, err)
			}
		})
	}
	if out := fn.Output(); strings.Contains(out, insecureWarning) {
		t.Errorf("the mTLS server logged the --insecure warning:\n%s", out)
	}
}

// TestInsecureWarns: --insecure serves plaintext, for crossplane render, and
// says so; without it and without certificates the binary refuses to start
// and says what to set.
func TestInsecureWarns(t *testing.T) {
	fn := start(t, "--insecure")
	req := request(t, "xnodeapp", "nothing-exists")
	if _, err := dial(t, fn.addr, plaintext).RunFunction(callCtx(t), req); err != nil {
		t.Fatalf("RunFunction over plaintext with --insecure: %v", err)
	}
	if out := fn.Output(); !strings.Contains(out, insecureWarning) {
		t.Errorf("no warning logged with --insecure; output:\n%s", out)
	}

	out, code := runToExit(t, "--address=127.0.0.1:0", "--metrics-address=")
	if code == 0 || !strings.Contains(out, "set --tls-certs-dir") {
		t.Errorf("without --tls-certs-dir or --insecure: exit code %d, output:\n%s", code, out)
	}
}

// TestSIGTERMDrains sends the built binary SIGTERM while 16 callers keep it
// busy over mTLS: it exits 0 within its grace period, logging that it
// drained, and no call that it had accepted fails: every error is a refusal
// of a new call (Unavailable), never a cut one.
func TestSIGTERMDrains(t *testing.T) {
	p := newPKI(t)
	fn := start(t, "--tls-certs-dir="+p.dir, "--grace-period=10s")
	client := dial(t, fn.addr, mtls(p))
	reqs := allRequests(t)
	done := make(chan load.Result, 1)
	go func() { done <- load.Run(context.Background(), load.Typed(client, reqs), 16, 3*time.Second) }()
	time.Sleep(time.Second)
	fn.sigterm(t)
	if code := fn.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, fn.Output())
	}
	r := <-done
	out := fn.Output()
	for _, want := range []string{"stopping: refusing new calls", `"stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
	if r.FirstErr != nil && status.Code(r.FirstErr) != codes.Unavailable {
		t.Errorf("a call failed with %v, want only refusals (Unavailable)", r.FirstErr)
	}
	if r.Calls-r.Errors == 0 {
		t.Errorf("no call succeeded before SIGTERM")
	}
	t.Logf("SIGTERM under 16 callers: %d calls answered, %d refused after the stop", r.Calls-r.Errors, r.Errors)
}

func runToExit(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	out, err := cmd.CombinedOutput()
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestMetricsPortTaken: a metrics address another process holds (such as
// Crossplane's own metrics port) stops the function at start, saying which
// flag moves it, rather than serving without metrics unnoticed.
func TestMetricsPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, code := runToExit(t, "--insecure", "--address="+loopback.Addr(t), "--metrics-address="+l.Addr().String())
	if code == 0 || !strings.Contains(out, "cannot serve metrics at") || !strings.Contains(out, "--metrics-address") {
		t.Errorf("with the metrics port taken: exit code %d, output:\n%s", code, out)
	}
}
