//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// env reads a required environment variable; test/e2e/run.sh sets them all.
func env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		panic(fmt.Sprintf("%s is not set: run the e2e tests through `make e2e` (test/e2e/run.sh)", name))
	}
	return v
}

// freePort asks the kernel for a free loopback port.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pki is the certificate authority and key material of the test cluster.
type pki struct {
	dir    string
	caCert *x509.Certificate
	caKey  *rsa.PrivateKey
}

func newPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "function-fullstack-e2e-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	p := &pki{dir: dir, caCert: cert, caKey: key}
	if err := p.write("ca.crt", pemBlock("CERTIFICATE", der)); err != nil {
		return nil, err
	}
	return p, p.write("ca.key", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)))
}

func pemBlock(typ string, b []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})
}

func (p *pki) write(name string, b []byte) error {
	return os.WriteFile(filepath.Join(p.dir, name), b, 0o600)
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

var serial int64 = 1

// issue writes NAME.crt and NAME.key: a certificate signed by the CA, for a
// server (with SANs) or a client (with organisations).
func (p *pki) issue(name, cn string, orgs []string, server bool) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost", cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return err
	}
	if err := p.write(name+".crt", pemBlock("CERTIFICATE", der)); err != nil {
		return err
	}
	return p.write(name+".key", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)))
}

// tlsDir lays out a certificate the way Crossplane and the function SDK read
// it: ca.crt, tls.crt and tls.key in one folder.
func (p *pki) tlsDir(name string) (string, error) {
	dir := filepath.Join(p.dir, name+"-tls")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	for src, dst := range map[string]string{"ca.crt": "ca.crt", name + ".crt": "tls.crt", name + ".key": "tls.key"} {
		b, err := os.ReadFile(p.path(src))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// process is one program the harness started; exited is closed once it
// has exited (and been reaped: an exited child stays a zombie, alive to
// kill -0, until someone waits for it).
type process struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// cluster is everything the harness runs: etcd, kube-apiserver,
// kube-controller-manager, Crossplane core and the function.
type cluster struct {
	work       string
	pki        *pki
	procs      []*process
	apiPort    int
	etcdURL    string
	kubeconfig string
	rest       *rest.Config
	fnPort     int
	ecPort     int // the played function-environment-configs
	fnMetrics  int
	// fnName names the function process that serves the active revision.
	fnName string
	// xpMetrics is the port of Crossplane core's metrics.
	xpMetrics int
	// core names the running Crossplane core process; startCore starts
	// one with the chart's arguments and extra ones.
	core      string
	startCore func(name string, extra ...string) error
	// registry is the host:port of the OCI registry the packages are
	// pushed to.
	registry string
	// prom is the Prometheus the analyses query.
	prom   *promStandIn
	phases []phase
}

type phase struct {
	name string
	took time.Duration
}

// timed runs fn and records how long it took, for the summary.
func (c *cluster) timed(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	c.phases = append(c.phases, phase{name: name, took: time.Since(start)})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// start runs a program in the background with its output in logs/NAME.log.
func (c *cluster) start(name string, envs []string, bin string, args ...string) error {
	return c.startIn("", name, envs, bin, args...)
}

// startIn is start with the program's working directory set to dir.
func (c *cluster) startIn(dir, name string, envs []string, bin string, args ...string) error {
	logPath := filepath.Join(c.work, "logs", name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), envs...)
	// Own process group, so teardown also stops anything it forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	c.procs = append(c.procs, p)
	return nil
}

// alive fails when a started process has exited, pointing at its log.
func (c *cluster) alive() error {
	for _, p := range c.procs {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited; see %s:\n%s", p.name, p.log, tail(p.log, 20))
		default:
		}
	}
	return nil
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stop ends every process in reverse start order: SIGTERM, then SIGKILL.
func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].end()
	}
}

// stopNamed ends the named processes, in reverse start order, and forgets
// them (alive no longer checks them).
func (c *cluster) stopNamed(names ...string) {
	for i := len(c.procs) - 1; i >= 0; i-- {
		if slices.Contains(names, c.procs[i].name) {
			c.procs[i].end()
			c.procs = slices.Delete(c.procs, i, i+1)
		}
	}
}

// end sends the process group SIGTERM, then SIGKILL after 10 s.
func (p *process) end() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// waitFor polls fn until it returns nil or the timeout passes; the error
// names the last reason, so a failed wait says what it was waiting for.
func (c *cluster) waitFor(timeout time.Duration, what string, fn func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = fn(); last == nil {
			return nil
		}
		var p permanent
		if errors.As(last, &p) {
			return fmt.Errorf("%s: %w", what, p.error)
		}
		if err := c.alive(); err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s waiting for %s: %w", timeout, what, last)
}

// permanent is an error a wait cannot outlast (a failed task): waitFor
// returns it at once.
type permanent struct{ error }

// stop marks err as permanent for waitFor.
func stop(err error) error { return permanent{err} }

// up starts the whole control plane, pushes this project's packages to a
// registry and installs them, with the upstream CRDs.
func up(ctx context.Context, work string) (*cluster, error) {
	c := &cluster{work: work}
	for _, d := range []string{"logs", "etcd", "xpkg-cache"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			return c, err
		}
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"pki", c.makePKI},
		{"etcd", c.startEtcd},
		{"kube-apiserver", c.startAPIServer},
		{"kube-controller-manager", c.startControllerManager},
		{"registry", c.startRegistry},
		{"crossplane", func() error { return c.startCrossplane(ctx) }},
		{"function", c.startFunction},
		{"push packages", func() error { return c.pushPackages(ctx) }},
		{"install", func() error { return c.install(ctx) }},
		{"workload controllers", func() error { return c.startWorkloadControllers(ctx) }},
		{"flux", c.startFlux},
	}
	for _, s := range steps {
		if err := c.timed("up/"+s.name, s.fn); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c *cluster) makePKI() error {
	p, err := newPKI(filepath.Join(c.work, "pki"))
	if err != nil {
		return err
	}
	c.pki = p
	for _, cert := range []struct {
		name, cn string
		orgs     []string
		server   bool
	}{
		{"apiserver", "kube-apiserver", nil, true},
		{"admin", "e2e-admin", []string{"system:masters"}, false},
		{"function", "function-fullstack", nil, true},
		{"crossplane-client", "crossplane", nil, false},
	} {
		if err := p.issue(cert.name, cert.cn, cert.orgs, cert.server); err != nil {
			return err
		}
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := p.write("sa.key", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(sa))); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return err
	}
	return p.write("sa.pub", pemBlock("PUBLIC KEY", pub))
}

func (c *cluster) startEtcd() error {
	client, peer := freePort(), freePort()
	if err := c.start("etcd", nil, env("E2E_ETCD"),
		"--name=e2e", "--data-dir="+filepath.Join(c.work, "etcd"),
		fmt.Sprintf("--listen-client-urls=http://127.0.0.1:%d", client),
		fmt.Sprintf("--advertise-client-urls=http://127.0.0.1:%d", client),
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", peer),
		fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", peer),
		fmt.Sprintf("--initial-cluster=e2e=http://127.0.0.1:%d", peer),
		"--log-level=warn",
	); err != nil {
		return err
	}
	c.etcdURL = fmt.Sprintf("http://127.0.0.1:%d", client)
	return c.waitFor(60*time.Second, "etcd health", func() error {
		rsp, err := http.Get(c.etcdURL + "/health")
		if err != nil {
			return err
		}
		defer rsp.Body.Close()
		if rsp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd /health: %s", rsp.Status)
		}
		return nil
	})
}

func (c *cluster) startAPIServer() error {
	c.apiPort = freePort()
	p := c.pki
	if err := c.start("kube-apiserver", nil, env("E2E_KUBE_APISERVER"),
		"--etcd-servers="+c.etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", c.apiPort),
		"--tls-cert-file="+p.path("apiserver.crt"), "--tls-private-key-file="+p.path("apiserver.key"),
		"--client-ca-file="+p.path("ca.crt"),
		"--service-account-key-file="+p.path("sa.pub"),
		"--service-account-signing-key-file="+p.path("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--cert-dir="+filepath.Join(c.work, "apiserver-certs"),
	); err != nil {
		return err
	}
	c.rest = &rest.Config{
		Host: fmt.Sprintf("https://127.0.0.1:%d", c.apiPort),
		TLSClientConfig: rest.TLSClientConfig{
			CAFile: p.path("ca.crt"), CertFile: p.path("admin.crt"), KeyFile: p.path("admin.key"),
		},
		QPS: 100, Burst: 200,
		// The LegacyCluster XRD is served through the deprecated v1 XRD
		// API on purpose; one warning per request drowns the output.
		WarningHandler: rest.NoWarnings{},
	}
	c.kubeconfig = filepath.Join(c.work, "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: admin, user: {client-certificate: %q, client-key: %q}}]
contexts: [{name: e2e, context: {cluster: e2e, user: admin}}]
current-context: e2e
`, c.rest.Host, p.path("ca.crt"), p.path("admin.crt"), p.path("admin.key"))
	if err := os.WriteFile(c.kubeconfig, []byte(kc), 0o600); err != nil {
		return err
	}
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	return c.waitFor(120*time.Second, "kube-apiserver /readyz", func() error {
		rsp, err := hc.Get(c.rest.Host + "/readyz")
		if err != nil {
			return err
		}
		defer rsp.Body.Close()
		if rsp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", rsp.Status)
		}
		return nil
	})
}

func (c *cluster) httpClient() (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(c.pki.path("admin.crt"), c.pki.path("admin.key"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.caCert)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12,
	}}}, nil
}

func (c *cluster) startControllerManager() error {
	// Only what the tests need: the garbage collector deletes composed
	// resources when their XR goes; namespace deletion; service accounts;
	// the Deployment, ReplicaSet and Job controllers, whose pods kwok runs;
	// the CronJob controller; the HPA controller, which scales to
	// minReplicas without metrics; ClusterRole aggregation, which gives
	// Crossplane (installed with its chart's RBAC) the rules of the roles
	// labelled to aggregate to it.
	return c.start("kube-controller-manager", nil, env("E2E_KUBE_CONTROLLER_MANAGER"),
		"--kubeconfig="+c.kubeconfig,
		"--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token,deployment,replicaset,job,cronjob,horizontalpodautoscaling,clusterrole-aggregation",
		"--service-account-private-key-file="+c.pki.path("sa.key"),
		"--root-ca-file="+c.pki.path("ca.crt"),
		"--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=0",
	)
}

// startCrossplane runs Crossplane as its Helm chart installs it: the
// chart's ServiceAccounts, ClusterRoles and bindings (applyChartRBAC), core
// init and start as the crossplane ServiceAccount, and the RBAC manager
// (rbac init and start, with the chart's args) as its own. Only what a Pod
// would take from its mounts differs: the TLS and cache directories, the
// registry's CA, and free ports.
func (c *cluster) startCrossplane(ctx context.Context) error {
	k, err := newKube(c.rest)
	if err != nil {
		return err
	}
	if err := k.apply(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": CrossplaneNamespace}}); err != nil {
		return err
	}
	procs, err := applyChartRBAC(ctx, k)
	if err != nil {
		return err
	}
	core, rbac := procs["crossplane"], procs["crossplane-rbac-manager"]
	coreKC, err := c.serviceAccountKubeconfig(ctx, CrossplaneNamespace, core.serviceAccount)
	if err != nil {
		return err
	}
	rbacKC, err := c.serviceAccountKubeconfig(ctx, CrossplaneNamespace, rbac.serviceAccount)
	if err != nil {
		return err
	}
	// Leader election finds its namespace in a Pod's service account mount,
	// which a process has not; one replica of each runs here, so it is off
	// (a later value of a variable wins).
	coreEnv := append(append([]string{"KUBECONFIG=" + coreKC}, core.env...), "LEADER_ELECTION=false")
	rbacEnv := append(append([]string{"KUBECONFIG=" + rbacKC}, rbac.env...), "LEADER_ELECTION=false")
	// The first init often fails with `no matches for kind "Lock"` while the
	// CRDs it just created become established; it is safe to run again.
	if err := c.waitFor(90*time.Second, "crossplane core init", func() error {
		args := append(slices.Clone(core.initArgs), "--enable-webhooks=false", "--cr-ds-path="+env("E2E_CROSSPLANE_CRDS"),
			// The Secrets the initializer fills with Crossplane's own PKI,
			// named as the Helm chart names them.
			"--tlsca-secret-name=crossplane-root-ca", "--tls-server-secret-name=crossplane-tls-server",
			"--tls-client-secret-name=crossplane-tls-client")
		return c.runLogged(ctx, "crossplane-init", coreEnv, env("E2E_CROSSPLANE"), args...)
	}); err != nil {
		return err
	}
	if err := c.runLogged(ctx, "crossplane-rbac-manager-init", rbacEnv, env("E2E_CROSSPLANE"), rbac.initArgs...); err != nil {
		return err
	}
	clientTLS, err := c.pki.tlsDir("crossplane-client")
	if err != nil {
		return err
	}
	// The RBAC manager serves its metrics on :8080, and no flag moves them:
	// with that port taken it exits at once.
	if l, err := net.Listen("tcp", ":8080"); err != nil {
		return fmt.Errorf("Crossplane's RBAC manager needs port 8080 (its metrics; no flag moves them), and it is taken: %w", err)
	} else {
		_ = l.Close()
	}
	if err := c.start("crossplane-rbac-manager", rbacEnv, env("E2E_CROSSPLANE"), rbac.args...); err != nil {
		return err
	}
	c.xpMetrics = freePort()
	c.startCore = func(name string, extra ...string) error {
		return c.start(name, coreEnv, env("E2E_CROSSPLANE"), append(append(slices.Clone(core.args),
			"--package-runtime=External", "--enable-webhooks=false",
			"--tls-client-certs-dir="+clientTLS,
			"--xpkg-cache-dir="+filepath.Join(c.work, "xpkg-cache"),
			// Trusts the package registry's certificate.
			"--ca-bundle-path="+c.pki.path("ca.crt"),
			fmt.Sprintf("--metrics-port=%d", c.xpMetrics),
			fmt.Sprintf("--health-probe-port=%d", freePort()),
			"--poll-interval=15s",
			"--debug",
		), extra...)...)
	}
	c.core = "crossplane"
	return c.startCore(c.core)
}

// restartCrossplane stops Crossplane core and starts it again with the
// chart's arguments and extra ones (as a changed Deployment would), its
// log in logs/NAME.log.
func (c *cluster) restartCrossplane(name string, extra ...string) error {
	c.stopNamed(c.core)
	c.core = name
	return c.startCore(name, extra...)
}

// runLogged runs a command to completion, its output in logs/<name>.log.
func (c *cluster) runLogged(ctx context.Context, name string, envs []string, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), envs...)
	out, err := cmd.CombinedOutput()
	log := filepath.Join(c.work, "logs", name+".log")
	if werr := os.WriteFile(log, out, 0o600); werr != nil {
		return werr
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, tail(log, 5))
	}
	return nil
}
