//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/registry"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/test/envconfigs"
)

// The packages as users name them. Nothing here is pulled from
// xpkg.crossplane.io: an ImageConfig rewrites the prefix to the registry the
// harness runs, as a platform team's mirror would.
const (
	Registry             = "xpkg.crossplane.io/fullstack-fn"
	ConfigurationPackage = Registry + "/configuration-fullstack"
	FunctionPackage      = Registry + "/function-fullstack"
	PackageTag           = "v0.1.0"
	// FunctionName is the name Crossplane's dependency resolver gives the
	// Function it installs for FunctionPackage; the Compositions call it.
	FunctionName = "fullstack-fn-function-fullstack"
	// The Configuration's other dependency, function-environment-configs,
	// played (test/envconfigs): the harness's registry serves its package
	// under the real name, and the harness serves the played function.
	EnvConfigsPackage = "xpkg.crossplane.io/crossplane-contrib/function-environment-configs"
	EnvConfigsName    = "crossplane-contrib-function-environment-configs"
)

// A served is a Function the harness serves, as a package runtime would.
type served struct {
	name, pkg, tag string
	port           int
}

func (c *cluster) fullstack(tag string, port int) served {
	return served{name: FunctionName, pkg: FunctionPackage, tag: tag, port: port}
}

func (c *cluster) envConfigs() served {
	return served{name: EnvConfigsName, pkg: EnvConfigsPackage, tag: envconfigs.Version, port: c.ecPort}
}

// startRegistry serves an OCI registry (go-containerregistry's, in this
// process) over TLS on loopback, with a certificate from the harness CA,
// which Crossplane trusts through --ca-bundle-path.
func (c *cluster) startRegistry() error {
	if err := c.pki.issue("registry", "registry", nil, true); err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(c.pki.path("registry.crt"), c.pki.path("registry.key"))
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(c.work, "logs", "registry.log"))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(logf, "", log.LstdFlags))),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		_ = srv.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	}()
	c.registry = l.Addr().String()
	return nil
}

// mirror is where the harness's registry serves what users pull from
// Registry.
func (c *cluster) mirror() string {
	return c.mirrorOf(Registry)
}

// mirrorOf is where the harness's registry serves pkg.
func (c *cluster) mirrorOf(pkg string) string {
	return strings.Replace(pkg, "xpkg.crossplane.io", c.registry, 1)
}

// pushPackages pushes what `make xpkg` built with the real `crossplane xpkg
// push`: the Function as a two-platform index, and the Configuration.
func (c *cluster) pushPackages(ctx context.Context) error {
	dir := env("E2E_XPKG_DIR")
	mirror := c.mirror()
	for _, p := range []struct{ files, ref string }{
		{filepath.Join(dir, "function-fullstack-amd64.xpkg") + "," + filepath.Join(dir, "function-fullstack-arm64.xpkg"), mirror + "/function-fullstack:" + PackageTag},
		{filepath.Join(dir, "configuration-fullstack.xpkg"), mirror + "/configuration-fullstack:" + PackageTag},
		{filepath.Join(dir, "played", "function-environment-configs.xpkg"), c.mirrorOf(EnvConfigsPackage) + ":" + envconfigs.Version},
	} {
		cmd := exec.CommandContext(ctx, env("E2E_CROSSPLANE_CLI"), "xpkg", "push", "-f", p.files, p.ref)
		// The CLI trusts the harness CA (Go reads SSL_CERT_FILE) and finds
		// no credentials.
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+c.pki.path("ca.crt"), "DOCKER_CONFIG="+filepath.Join(c.work, "docker"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("crossplane xpkg push %s: %w: %s", p.ref, err, out)
		}
	}
	return nil
}

// installPackages installs the Configuration the way a platform engineer
// does, and lets Crossplane's package manager do the rest: it pulls the
// Configuration, resolves its dependency, installs the Function, and
// establishes the XRDs and Compositions.
func (c *cluster) installPackages(ctx context.Context) error {
	k, err := newKube(c.rest)
	if err != nil {
		return err
	}
	// The mirror, then what docs/install.md has users apply: the
	// runtime settings, the platform's EnvironmentConfigs and the
	// Configuration.
	dir := filepath.Join(env("E2E_REPO"), "example", "install")
	install, err := readManifests(filepath.Join(dir, "runtime.yaml"), filepath.Join(dir, "environmentconfig.yaml"),
		filepath.Join(dir, "environmentconfig-eu.yaml"), filepath.Join(dir, "configuration.yaml"))
	if err != nil {
		return err
	}
	for _, o := range append([]map[string]any{{
		"apiVersion": "pkg.crossplane.io/v1beta1", "kind": "ImageConfig",
		"metadata": map[string]any{"name": "xpkg-mirror"},
		"spec": map[string]any{
			"matchImages":  []any{map[string]any{"type": "Prefix", "prefix": "xpkg.crossplane.io"}},
			"rewriteImage": map[string]any{"prefix": c.registry},
		},
	}}, install...) {
		if err := k.apply(ctx, o); err != nil {
			return err
		}
	}

	// With the External runtime nothing runs the functions or sets their
	// endpoints; the harness does what a runtime would, for the revisions
	// the package manager created.
	for _, f := range []served{c.fullstack(PackageTag, c.fnPort), c.envConfigs()} {
		if err := c.serveRevision(ctx, k, f); err != nil {
			return err
		}
	}
	return c.packagesReady(ctx, k, PackageTag)
}

// packagesReady waits until the Configuration and both Functions are
// installed and healthy, the Configuration and function-fullstack at tag.
func (c *cluster) packagesReady(ctx context.Context, k *kube, tag string) error {
	return c.waitFor(180*time.Second, "the Configuration and its Functions at "+tag+", installed and healthy", func() error {
		for _, p := range []struct{ kind, name, resolved string }{
			{"Configuration", "configuration-fullstack", c.mirrorOf(ConfigurationPackage) + ":" + tag},
			{"Function", FunctionName, c.mirrorOf(FunctionPackage) + ":" + tag},
			{"Function", EnvConfigsName, c.mirrorOf(EnvConfigsPackage) + ":" + envconfigs.Version},
		} {
			u, err := k.get(ctx, "pkg.crossplane.io/v1", p.kind, "", p.name)
			if err != nil {
				return err
			}
			for _, t := range []string{"Installed", "Healthy"} {
				if s, _ := condition(u, t); s != "True" {
					return fmt.Errorf("%s %s: %s", p.kind, p.name, conditions(u))
				}
			}
			if got, _, _ := unstructured.NestedString(u.Object, "status", "resolvedPackage"); got != p.resolved {
				return fmt.Errorf("%s %s resolved %q, want %q", p.kind, p.name, got, p.resolved)
			}
		}
		return nil
	})
}

// packageConditions summarises the Configuration and the Lock, for a wait
// that has nothing else to show.
func (c *cluster) packageConditions(ctx context.Context, k *kube) string {
	var parts []string
	if u, err := k.get(ctx, "pkg.crossplane.io/v1", "Configuration", "", "configuration-fullstack"); err == nil {
		parts = append(parts, "Configuration: "+conditions(u))
	}
	if u, err := k.get(ctx, "pkg.crossplane.io/v1beta1", "Lock", "", "lock"); err == nil {
		parts = append(parts, "Lock: "+conditions(u))
	}
	return strings.Join(parts, "; ")
}

// packagesInstalled checks what the package manager made of the
// Configuration: the Function it installed for the dependency, pulled
// through the mirror; the Lock; and the XRDs and Compositions owned by the
// Configuration's revision. It prints what `kubectl get
// configurations,functions,xrds` would show.
func packagesInstalled(ctx context.Context, t *testing.T) {
	t.Helper()
	mirror := cl.mirror()
	fn, err := kc.get(ctx, "pkg.crossplane.io/v1", "Function", "", FunctionName)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := kc.get(ctx, "pkg.crossplane.io/v1", "Function", "", EnvConfigsName)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := kc.get(ctx, "pkg.crossplane.io/v1", "Configuration", "", "configuration-fullstack")
	if err != nil {
		t.Fatal(err)
	}
	str := func(u *unstructured.Unstructured, path ...string) string {
		s, _, _ := unstructured.NestedString(u.Object, path...)
		return s
	}
	got := map[string]string{
		"function spec.package":                str(fn, "spec", "package"),
		"function status.resolvedPackage":      str(fn, "status", "resolvedPackage"),
		"configuration status.resolvedPackage": str(cfg, "status", "resolvedPackage"),
		"environment-configs spec.package":     str(ec, "spec", "package"),
	}
	want := map[string]string{
		"function spec.package":                FunctionPackage + ":" + PackageTag,
		"function status.resolvedPackage":      mirror + "/function-fullstack:" + PackageTag,
		"configuration status.resolvedPackage": mirror + "/configuration-fullstack:" + PackageTag,
		"environment-configs spec.package":     EnvConfigsPackage + ":" + envconfigs.Version,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	// The Lock records the Configuration and the dependencies it resolved.
	lock, err := kc.get(ctx, "pkg.crossplane.io/v1beta1", "Lock", "", "lock")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, _, _ := unstructured.NestedSlice(lock.Object, "packages")
	var deps []string
	for _, p := range pkgs {
		m, _ := p.(map[string]any)
		ds, _ := m["dependencies"].([]any)
		for _, d := range ds {
			dm, _ := d.(map[string]any)
			deps = append(deps, fmt.Sprintf("%v -> %v %v", m["source"], dm["package"], dm["constraints"]))
		}
	}
	slices.Sort(deps)
	if diff := cmp.Diff([]string{
		ConfigurationPackage + " -> " + EnvConfigsPackage + " >=v0.7.1 <v0.8.0",
		ConfigurationPackage + " -> " + FunctionPackage + " >=v0.1.0 <v0.2.0",
	}, deps); diff != "" {
		t.Errorf("Lock dependencies (-want +got):\n%s", diff)
	}

	// Every XRD and Composition belongs to the Configuration's revision.
	var table []string
	table = append(table, fmt.Sprintf("%-76s %-10s %-8s %s", "NAME", "INSTALLED", "HEALTHY", "PACKAGE / ESTABLISHED"))
	for _, u := range []*unstructured.Unstructured{cfg, fn, ec} {
		inst, _ := condition(u, "Installed")
		healthy, _ := condition(u, "Healthy")
		table = append(table, fmt.Sprintf("%-76s %-10s %-8s %s", strings.ToLower(u.GetKind())+".pkg.crossplane.io/"+u.GetName(), inst, healthy, str(u, "spec", "package")))
	}
	for _, kind := range []string{"CompositeResourceDefinition", "Composition"} {
		r, err := kc.resource("apiextensions.crossplane.io/v1", kind, "")
		if err != nil {
			t.Fatal(err)
		}
		l, err := r.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 4 {
			t.Errorf("%d %ss, want 4", len(l.Items), kind)
		}
		for _, u := range l.Items {
			owner := ""
			for _, o := range u.GetOwnerReferences() {
				if o.Kind == "ConfigurationRevision" {
					owner = o.Name
				}
			}
			if owner == "" {
				t.Errorf("%s %s is not owned by a ConfigurationRevision: %v", kind, u.GetName(), u.GetOwnerReferences())
			}
			if kind == "CompositeResourceDefinition" {
				est, _ := condition(&u, "Established")
				table = append(table, fmt.Sprintf("%-76s %-10s %-8s %s", "xrd/"+u.GetName(), "", "", est))
			}
		}
	}
	fmt.Println("e2e: packages\n  " + strings.Join(table, "\n  "))
}

// serveRevision does what a package runtime does for the FunctionRevision
// of f's package at its tag once the package manager has created it: it
// sets the endpoint of the function process listening on f's port, the TLS
// Secret that holds its certificate, and RuntimeHealthy.
func (c *cluster) serveRevision(ctx context.Context, k *kube, f served) error {
	tag := f.tag
	var rev *unstructured.Unstructured
	if err := c.waitFor(180*time.Second, "the FunctionRevision of "+f.pkg+":"+tag+" with the composition capability", func() error {
		r, err := k.resource("pkg.crossplane.io/v1", "FunctionRevision", "")
		if err != nil {
			return err
		}
		l, err := r.List(ctx, metav1.ListOptions{LabelSelector: "pkg.crossplane.io/package=" + f.name})
		if err != nil {
			return err
		}
		rev = nil
		for i := range l.Items {
			if img, _, _ := unstructured.NestedString(l.Items[i].Object, "spec", "image"); strings.HasSuffix(img, ":"+tag) {
				rev = &l.Items[i]
			}
		}
		if rev == nil {
			return fmt.Errorf("no FunctionRevision of %s yet (%d others); %s", tag, len(l.Items), c.packageConditions(ctx, k))
		}
		caps, _, _ := unstructured.NestedStringSlice(rev.Object, "status", "capabilities")
		for _, c := range caps {
			if c == "composition" {
				return nil
			}
		}
		return fmt.Errorf("FunctionRevision %s has capabilities %v; conditions: %s", rev.GetName(), caps, conditions(rev))
	}); err != nil {
		return err
	}
	dir, err := c.pki.tlsDir("function")
	if err != nil {
		return err
	}
	crt, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
	if err != nil {
		return err
	}
	if err := k.apply(ctx, map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": f.name + "-tls-server", "namespace": "crossplane-system"},
		"stringData": map[string]any{"tls.crt": string(crt)},
	}); err != nil {
		return err
	}
	// A runtime also reports its health; the revision's other conditions
	// are kept (a merge patch replaces the whole list).
	conds, _, _ := unstructured.NestedSlice(rev.Object, "status", "conditions")
	conds = append(conds, map[string]any{
		"type": "RuntimeHealthy", "status": "True", "reason": "HealthyPackageRuntime",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
	})
	return k.patchStatus(ctx, rev, map[string]any{
		"endpoint":            fmt.Sprintf("127.0.0.1:%d", f.port),
		"tlsServerSecretName": f.name + "-tls-server",
		"conditions":          conds,
	})
}
