//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// UpgradeTag is the release a live install is upgraded to: what
// hack/xpkg.sh builds with UPGRADE_VERSION, the function stamped with it
// and the Configuration whose dependsOn moves to it.
const UpgradeTag = "v0.2.0"

// pushUpgrade pushes the next release's packages to the mirror.
func (c *cluster) pushUpgrade(ctx context.Context) error {
	dir := filepath.Join(env("E2E_XPKG_DIR"), "upgrade")
	for _, p := range []struct{ file, ref string }{
		{filepath.Join(dir, "function-fullstack-amd64.xpkg"), c.mirror() + "/function-fullstack:" + UpgradeTag},
		{filepath.Join(dir, "configuration-fullstack.xpkg"), c.mirror() + "/configuration-fullstack:" + UpgradeTag},
	} {
		cmd := exec.CommandContext(ctx, env("E2E_CROSSPLANE_CLI"), "xpkg", "push", "-f", p.file, p.ref)
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+c.pki.path("ca.crt"), "DOCKER_CONFIG="+filepath.Join(c.work, "docker"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("crossplane xpkg push %s: %w: %s", p.ref, err, out)
		}
	}
	return nil
}

// liveState is what an upgrade must keep: each composed object's UID and
// its desired content (spec, or data for Secrets and ConfigMaps).
type liveState struct {
	uids    map[string]types.UID
	content map[string]any
}

// composedNow reads what an XR composes now, from its resource references
// (spec.crossplane.resourceRefs, or spec.resourceRefs for a LegacyCluster
// XR), so objects a day-2 change added or removed are counted as they are.
func composedNow(ctx context.Context, t *testing.T, a *app) liveState {
	t.Helper()
	xr, err := a.xr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refs, found, _ := unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
	if !found {
		refs, _, _ = unstructured.NestedSlice(xr.Object, "spec", "resourceRefs")
	}
	if len(refs) == 0 {
		t.Fatalf("%s XR %s has no resource references", a.example, xr.GetName())
	}
	st := liveState{uids: map[string]types.UID{}, content: map[string]any{}}
	for _, r := range refs {
		m := r.(map[string]any)
		apiVersion, kind, name := fmt.Sprint(m["apiVersion"]), fmt.Sprint(m["kind"]), fmt.Sprint(m["name"])
		ns, _ := m["namespace"].(string)
		if ns == "" {
			ns = a.namespace
		}
		o, err := kc.get(ctx, apiVersion, kind, ns, name)
		if err != nil {
			t.Fatalf("%s %s/%s: %v", kind, ns, name, err)
		}
		key := kind + " " + ns + "/" + name
		st.uids[key] = o.GetUID()
		switch {
		case o.Object["spec"] != nil:
			st.content[key] = o.Object["spec"]
		case o.Object["data"] != nil:
			st.content[key] = o.Object["data"]
		}
	}
	return st
}

// upgrade moves a live install from v0.1.0 to the next release the way the
// docs/install.md "Upgrading" says: the Configuration's package tag, then the
// Function's (Crossplane does not move a dependency by itself). The next
// release's function runs as its own process (the package runtime's part,
// played as at install) and serves the new FunctionRevision. No composed
// object may be recreated or changed and no XR may leave Ready, while the
// new function recomposes every XR.
func upgrade(ctx context.Context, t *testing.T, apps []*app) {
	start := time.Now()
	for _, a := range apps {
		waitXR(ctx, t, a, "Ready=True before the upgrade", xrReady)
	}
	before := map[string]liveState{}
	objects := 0
	for _, a := range apps {
		before[appKey(a)] = composedNow(ctx, t, a)
		objects += len(before[appKey(a)].uids)
	}

	// One XR stages the release: compositionUpdatePolicy Manual keeps it
	// on the CompositionRevision it has until it is moved by hand.
	var pinned *app
	for _, a := range apps {
		if a.example == "xnodeapp" {
			pinned = a
			break
		}
	}
	if pinned == nil {
		t.Fatal("no xnodeapp example to pin")
	}
	xr, err := pinned.xr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldRev, _, _ := unstructured.NestedString(xr.Object, "spec", "crossplane", "compositionRevisionRef", "name")
	if oldRev == "" {
		t.Fatalf("%s has no compositionRevisionRef: %v", pinned.example, xr.Object["spec"])
	}
	if err := unstructured.SetNestedField(xr.Object, "Manual", "spec", "crossplane", "compositionUpdatePolicy"); err != nil {
		t.Fatal(err)
	}
	if err := kc.update(ctx, xr, FieldManager); err != nil {
		t.Fatal(err)
	}

	port, metrics := freePort(), freePort()
	dir, err := cl.pki.tlsDir("function")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.start("function-"+UpgradeTag, nil, env("E2E_FUNCTION_UPGRADE"), "--tls-certs-dir="+dir,
		fmt.Sprintf("--address=127.0.0.1:%d", port), fmt.Sprintf("--metrics-address=127.0.0.1:%d", metrics), "--debug"); err != nil {
		t.Fatal(err)
	}
	if err := cl.pushUpgrade(ctx); err != nil {
		t.Fatal(err)
	}
	moved := time.Now()
	for _, p := range []struct{ kind, name, pkg string }{
		{"Configuration", "configuration-fullstack", ConfigurationPackage},
		{"Function", FunctionName, FunctionPackage},
	} {
		u, err := kc.get(ctx, "pkg.crossplane.io/v1", p.kind, "", p.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedField(u.Object, p.pkg+":"+UpgradeTag, "spec", "package"); err != nil {
			t.Fatal(err)
		}
		if err := kc.update(ctx, u, FieldManager); err != nil {
			t.Fatalf("moving %s %s to %s: %v", p.kind, p.name, UpgradeTag, err)
		}
	}
	if err := cl.serveRevision(ctx, kc, cl.fullstack(UpgradeTag, port)); err != nil {
		t.Fatal(err)
	}
	if err := cl.packagesReady(ctx, kc, UpgradeTag); err != nil {
		t.Fatal(err)
	}
	upgraded := time.Since(start)

	// Every XR recomposed by the new release's function, while nothing
	// composed is recreated and no XR leaves Ready.
	calls := func() int {
		n, err := runFunctionCalls(metrics)
		if err != nil {
			return 0
		}
		return n
	}
	// The new function logs each XR it composed (--debug): "xr-name": "<name>".
	newLog := filepath.Join(cl.work, "logs", "function-"+UpgradeTag+".log")
	names := map[string]bool{}
	for _, a := range apps {
		xr, err := a.xr(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// As the function logs it: the namespace is empty for a legacy XR.
		names[fmt.Sprintf(`"xr-name": %q, "xr-namespace": %q`, xr.GetName(), xr.GetNamespace())] = true
	}
	notYet := func() []string {
		b, _ := os.ReadFile(newLog)
		var out []string
		for n := range names {
			if !strings.Contains(string(b), n) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	deadline := time.Now().Add(4 * time.Minute)
	for len(notYet()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("in 4 minutes the %s function did not compose %v (%d calls)", UpgradeTag, notYet(), calls())
		}
		for _, a := range apps {
			xr, err := a.xr(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := xrReady(xr); err != nil {
				t.Fatalf("%s left Ready during the upgrade: %v", a.example, err)
			}
		}
		time.Sleep(2 * time.Second)
	}
	recomposed := time.Since(moved)
	// From here the new process serves the function's active revision.
	cl.fnName, cl.fnMetrics = "function-"+UpgradeTag, metrics
	pid, err := cl.pid(cl.fnName)
	if err != nil {
		t.Fatal(err)
	}
	use, err := procUsage(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the %s function composed all %d XRs %s after the packages moved: %d calls, %.2f s of CPU, %d MB resident (peak %d MB)",
		UpgradeTag, len(apps), recomposed.Round(time.Second), calls(), use.cpu.Seconds(), use.rss>>20, use.hwm>>20)
	// The release changed every Composition: XRs on Automatic took the new
	// revision, the pinned one kept its own; moved by hand, it takes it with
	// nothing recreated.
	newRev := latestRevision(ctx, t, "xnodeapp")
	if newRev == oldRev {
		t.Fatalf("the release made no new CompositionRevision of xnodeapp (still %s)", oldRev)
	}
	// An XR on Automatic takes the new revision on a reconcile of its own,
	// which may come after the new function has composed it once.
	if err := cl.waitFor(180*time.Second, "every XR on Automatic on its Composition's newest revision, the Manual one on its own", func() error {
		var off []string
		for _, a := range apps {
			x, err := a.xr(ctx)
			if err != nil {
				return err
			}
			comp, _, _ := unstructured.NestedString(x.Object, "spec", "crossplane", "compositionRef", "name")
			got, _, _ := unstructured.NestedString(x.Object, "spec", "crossplane", "compositionRevisionRef", "name")
			if comp == "" {
				comp, _, _ = unstructured.NestedString(x.Object, "spec", "compositionRef", "name")
				got, _, _ = unstructured.NestedString(x.Object, "spec", "compositionRevisionRef", "name")
			}
			want := latestRevision(ctx, t, comp)
			if a == pinned {
				want = oldRev
			}
			if got != want {
				off = append(off, fmt.Sprintf("%s (Composition %s) on %s, want %s", a.example, comp, got, want))
			}
			if err := xrReady(x); err != nil {
				t.Fatalf("%s left Ready during the upgrade: %v", a.example, err)
			}
		}
		if len(off) > 0 {
			return fmt.Errorf("%s", strings.Join(off, "; "))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	xr, err = pinned.xr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(xr.Object, newRev, "spec", "crossplane", "compositionRevisionRef", "name"); err != nil {
		t.Fatal(err)
	}
	if err := kc.update(ctx, xr, FieldManager); err != nil {
		t.Fatal(err)
	}
	waitXR(ctx, t, pinned, "on "+newRev+", Synced and Ready", func(x *unstructured.Unstructured) error {
		if got, _, _ := unstructured.NestedString(x.Object, "spec", "crossplane", "compositionRevisionRef", "name"); got != newRev {
			return fmt.Errorf("on %s", got)
		}
		if err := synced(x); err != nil {
			return err
		}
		return xrReady(x)
	})
	t.Logf("%s stayed on %s (compositionUpdatePolicy: Manual) while the others took the new revisions; moved by hand to %s", pinned.example, oldRev, newRev)
	for _, a := range apps {
		after := composedNow(ctx, t, a)
		if diff := cmp.Diff(before[appKey(a)].uids, after.uids); diff != "" {
			t.Errorf("%s: composed objects recreated or gone after the upgrade (-before +after):\n%s", a.example, diff)
		}
		if diff := cmp.Diff(before[appKey(a)].content, after.content); diff != "" {
			t.Errorf("%s: composed objects changed by the upgrade, which its release notes do not name (-before +after):\n%s", a.example, diff)
		}
	}

	// What kubectl get configurations,functions,configurationrevisions,functionrevisions,compositionrevisions shows.
	var table []string
	for _, kind := range []string{"Configuration", "Function", "ConfigurationRevision", "FunctionRevision"} {
		r, err := kc.resource("pkg.crossplane.io/v1", kind, "")
		if err != nil {
			t.Fatal(err)
		}
		l, err := r.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range l.Items {
			img, _, _ := unstructured.NestedString(u.Object, "spec", "image")
			if img == "" {
				img, _, _ = unstructured.NestedString(u.Object, "spec", "package")
			}
			state, _, _ := unstructured.NestedString(u.Object, "spec", "desiredState")
			healthy, _ := condition(&u, "Healthy")
			table = append(table, fmt.Sprintf("%-24s %-62s %-8s %-8s %s", kind, u.GetName(), healthy, state, img))
		}
	}
	r, err := kc.resource("apiextensions.crossplane.io/v1", "CompositionRevision", "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	revs := map[string]int{}
	for _, u := range l.Items {
		revs[u.GetLabels()["crossplane.io/composition-name"]]++
	}
	comps := make([]string, 0, len(revs))
	for n := range revs {
		comps = append(comps, n)
	}
	sort.Strings(comps)
	for _, n := range comps {
		table = append(table, fmt.Sprintf("%-24s %-62s %d revision(s)", "CompositionRevision", n, revs[n]))
	}
	ecs, err := kc.resource("apiextensions.crossplane.io/v1beta1", "EnvironmentConfig", "")
	if err != nil {
		t.Fatal(err)
	}
	el, err := ecs.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range el.Items {
		domain, _, _ := unstructured.NestedString(u.Object, "data", "fullstack", "domain")
		table = append(table, fmt.Sprintf("%-24s %-62s labels %v, domain %s", "EnvironmentConfig", u.GetName(), u.GetLabels(), domain))
	}
	t.Logf("upgraded %s -> %s in %s; %d XRs stayed Ready and kept all %d composed objects (same UIDs, same spec) while the new function composed each of them (%d calls)\n  %s",
		PackageTag, UpgradeTag, upgraded.Round(time.Second), len(apps), objects, calls(), strings.Join(table, "\n  "))
}

// runFunctionCalls reads how many RunFunction calls a function process
// has answered from its Prometheus metrics.
func runFunctionCalls(metricsPort int) (int, error) {
	m, err := tryScrape(context.Background(), metricsPort)
	if err != nil {
		return 0, err
	}
	return int(m.sum("grpc_server_handled_total", `grpc_method="RunFunction"`)), nil
}

// latestRevision returns the name of a Composition's newest
// CompositionRevision (the highest spec.revision).
func latestRevision(ctx context.Context, t *testing.T, composition string) string {
	t.Helper()
	r, err := kc.resource("apiextensions.crossplane.io/v1", "CompositionRevision", "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.List(ctx, metav1.ListOptions{LabelSelector: "crossplane.io/composition-name=" + composition})
	if err != nil {
		t.Fatal(err)
	}
	name, newest := "", int64(-1)
	for _, u := range l.Items {
		if n, _, _ := unstructured.NestedInt64(u.Object, "spec", "revision"); n > newest {
			name, newest = u.GetName(), n
		}
	}
	if name == "" {
		t.Fatalf("no CompositionRevision of %s", composition)
	}
	return name
}

// appKey names an app in maps: its namespace and example.
func appKey(a *app) string { return a.namespace + "/" + a.example }
