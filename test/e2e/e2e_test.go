//go:build e2e

// Package e2e runs the function the way users run it: installed into a real
// Crossplane core, called over mTLS, composing into a real kube-apiserver
// that knows the upstream CRDs. Run it with `make e2e` (test/e2e/run.sh).
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fullstack-fn/function-fullstack/test/fake"
)

// goldenXR is the XR name each example's golden render uses.
var goldenXR = map[string]string{}

var (
	cl    *cluster
	kc    *kube
	start = time.Now()
)

func TestMain(m *testing.M) {
	ctx := context.Background()
	work := env("E2E_WORKDIR")
	_ = os.RemoveAll(work)
	var err error
	cl, err = up(ctx, work)
	code := 1
	if err == nil {
		kc, err = newKube(cl.rest)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: cannot bring up the control plane: %v\nlogs: %s\n", err, filepath.Join(work, "logs"))
	} else {
		code = m.Run()
	}
	cl.stop()
	fmt.Println("e2e: phases")
	for _, p := range cl.phases {
		fmt.Printf("  %-40s %6.1fs\n", p.name, p.took.Seconds())
	}
	if r := legReport(); r != "" {
		fmt.Print("e2e: convergence legs\n" + r)
	}
	fmt.Printf("e2e: total %.1fs, logs in %s\n", time.Since(start).Seconds(), filepath.Join(work, "logs"))
	os.Exit(code)
}

// composedRef is a composed object as a golden render lists it.
type composedRef struct {
	apiVersion, kind, namespace, name string
	labels                            map[string]string
}

func (r composedRef) String() string { return r.kind + " " + r.namespace + "/" + r.name }

// expected reads the composed objects of an example from its committed
// render: what the API server must hold once the XR is created.
func expected(t *testing.T, example string) []composedRef {
	t.Helper()
	docs, err := readManifests(filepath.Join(env("E2E_REPO"), "example", example, "golden", "nothing-exists.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []composedRef
	for _, d := range docs {
		u := &unstructured.Unstructured{Object: d}
		if u.GetAnnotations()["crossplane.io/composition-resource-name"] == "" {
			if u.GetKind() != "Result" {
				goldenXR[example] = u.GetName()
			}
			continue
		}
		out = append(out, composedRef{apiVersion: u.GetAPIVersion(), kind: u.GetKind(), namespace: u.GetNamespace(), name: u.GetName(), labels: u.GetLabels()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	if len(out) == 0 {
		t.Fatalf("example %s lists no composed objects", example)
	}
	return out
}

// app is one example applied to the cluster.
type app struct {
	example   string
	namespace string
	// xr returns the live XR.
	xr       func(ctx context.Context) (*unstructured.Unstructured, error)
	composed []composedRef
}

func manifest(t *testing.T, example, file string) map[string]any {
	t.Helper()
	docs, err := readManifests(filepath.Join(env("E2E_REPO"), "example", example, file))
	if err != nil || len(docs) != 1 {
		t.Fatalf("cannot read example/%s/%s: %v", example, file, err)
	}
	return docs[0]
}

func namespace(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	if err := kc.apply(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}); err != nil {
		t.Fatal(err)
	}
}

func TestE2E(t *testing.T) {
	ctx := context.Background()
	xnode := &app{example: "xnodeapp", namespace: "shop"}
	claim := &app{example: "nodeapp-claim", namespace: "blog"}
	xrObj := manifest(t, "xnodeapp", "xr.yaml")
	claimObj := manifest(t, "nodeapp-claim", "claim.yaml")
	xnode.xr = func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", "shop", "shop")
	}
	claim.xr = claimXR("blog")
	// The cloud examples carry their own Compositions with the platform's
	// settings; their XRs (or claim) select them.
	var cloudObjs []map[string]any
	cloud := func(example, namespace, composition string) *app {
		a := &app{example: example, namespace: namespace}
		cloudObjs = append(cloudObjs, manifest(t, example, "composition.yaml"))
		if example == "nodeapp-claim-aws" {
			c := manifest(t, example, "claim.yaml")
			specOf(c)["compositionRef"] = map[string]any{"name": composition}
			cloudObjs = append(cloudObjs, c)
			a.xr = claimXR(namespace)
			return a
		}
		x := manifest(t, example, "xr.yaml")
		specOf(x)["crossplane"] = map[string]any{"compositionRef": map[string]any{"name": composition}}
		cloudObjs = append(cloudObjs, x)
		a.xr = func(ctx context.Context) (*unstructured.Unstructured, error) {
			return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", namespace, namespace)
		}
		return a
	}
	rds := cloud("fullstack-aws", "orders", "xnodeapp-aws")
	cloudSQL := cloud("fullstack-gcp", "catalog", "xnodeapp-gcp")
	flexible := cloud("fullstack-azure", "billing", "xnodeapp-azure")
	rdsClaim := cloud("nodeapp-claim-aws", "invoices", "xnodeapp-legacy-aws")
	// The platform keeps the cloud providers' CA bundles in every
	// application namespace (docs/databases.md: Database TLS).
	for _, ex := range []string{"fullstack-aws", "fullstack-gcp", "fullstack-azure", "nodeapp-claim-aws"} {
		docs, err := readManifests(filepath.Join(env("E2E_REPO"), "example", ex, "required", "all-ready.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d["kind"] == "ConfigMap" {
				cloudObjs = append([]map[string]any{d}, cloudObjs...)
			}
		}
	}
	// Cloud SQL users get a password derived from the platform's seed.
	seed := manifest(t, "fullstack-gcp", "credentials.yaml")
	// XFullStackServices use the package's default Composition, whose first
	// step reads the platform's domain, Prometheus and image registry from
	// the EnvironmentConfigs installPackages applied.
	var serviceObjs []map[string]any
	service := func(example, namespace string) *app {
		serviceObjs = append(serviceObjs, manifest(t, example, "xr.yaml"))
		return &app{example: example, namespace: namespace, xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
			return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", namespace, namespace)
		}}
	}
	dev := service("fullstack-dev", "notes")
	paygate := service("fullstack-payments", "paygate")
	canaryProd := service("fullstack-canary-prod", "checkout")
	blueGreen := service("fullstack-bluegreen", "payments")
	apps := []*app{xnode, claim, rds, cloudSQL, flexible, rdsClaim, dev, canaryProd, blueGreen, paygate}
	flux := &fluxScenarios{}
	argo := &argoScenarios{flux: flux}
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"the Configuration package installs the function and the APIs", func(t *testing.T) { packagesInstalled(ctx, t) }},
		{"without example/install/rbac.yaml Crossplane (chart RBAC) is forbidden to compose and the XR says so; with it the XR syncs", func(t *testing.T) {
			withoutInstallRBAC(ctx, t)
		}},
		{"examples compose every object", func(t *testing.T) {
			for _, ns := range []string{"shop", "blog", "orders", "catalog", "billing", "invoices", "notes", "checkout", "payments", "paygate"} {
				namespace(ctx, t, ns)
			}
			// The payment service's namespace enforces the restricted Pod
			// Security level (the API server's PodSecurity admission
			// refuses any pod of its worker or job that breaks it), and
			// holds what its team keeps there.
			if err := kc.apply(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "paygate",
				"labels": map[string]any{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}}}); err != nil {
				t.Fatal(err)
			}
			for _, o := range teamObjects("paygate") {
				if err := kc.apply(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			objs := append([]map[string]any{seed, xrObj, claimObj}, cloudObjs...)
			for _, o := range append(objs, serviceObjs...) {
				if err := kc.apply(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range apps {
				a.composed = expected(t, a.example)
				assertComposed(ctx, t, a)
			}
		}},
		{"not ready until the controllers report", func(t *testing.T) {
			for _, a := range apps {
				assertNotReady(ctx, t, a)
			}
		}},
		{"ready once the controllers report", func(t *testing.T) {
			for _, a := range apps {
				reportHealthy(ctx, t, a)
				// The leg starts when the last composed resource is ready:
				// the played ones now, the Deployments and Rollouts when
				// the real controllers (and kwok's pods) say so.
				ready := workloadsReady(ctx, t, a)
				waitXR(ctx, t, a, "Ready=True", xrReady)
				converged(t, "every composed resource ready -> XR Ready", time.Since(ready))
			}
		}},
		{"the platform's settings come from EnvironmentConfigs; a labelled XR takes a second one over them", func(t *testing.T) {
			platformSettings(ctx, t, dev, paygate, manifest(t, "fullstack-dev", "xr.yaml"))
		}},
		{"every Backstage form submission is accepted and composes", func(t *testing.T) { formSubmissions(ctx, t) }},
		{"day 2 changes update in place", func(t *testing.T) { dayTwo(ctx, t, xnode, xrObj) }},
		{"invalid spec is reported and changes nothing", func(t *testing.T) { invalidSpec(ctx, t, xnode, xrObj) }},
		{"spec.database.storage grows in place and cannot shrink", func(t *testing.T) { storageGrows(ctx, t, claimObj) }},
		{"a new image waits for its migration Job on the real Job controller; a failed one keeps the old image", func(t *testing.T) {
			migrations(ctx, t, xnode, xrObj)
		}},
		{"rollingUpdate to canary and back hands the pods over; the Service and Ingress stay", func(t *testing.T) {
			switchStrategy(ctx, t, dev, manifest(t, "fullstack-dev", "xr.yaml"))
		}},
		{"canary and blueGreen on the real Argo Rollouts controller", func(t *testing.T) { progressiveDelivery(ctx, t) }},
		{"the payment service's worker runs and its scheduled job's template runs to completion on the real controllers", func(t *testing.T) {
			processesRun(ctx, t, paygate)
		}},
		{"switching to autoscaling never drops a Deployment or Rollout below its replicas; the HPA takes spec.replicas over", func(t *testing.T) {
			autoscalingHandover(ctx, t)
		}},
		{"a canary with the default analysis and no ingress-nginx is refused, naming the field", func(t *testing.T) { canaryWithoutNginx(ctx, t) }},
		{"Flux applies every environment from Git; each Kustomization is Ready only once its XR is", func(t *testing.T) { flux.fluxApplies(ctx, t) }},
		{"Flux reports a spec the function refuses as a failed health check; the revert heals it", func(t *testing.T) { flux.refusedSpec(ctx, t) }},
		{"day 2 through Git: an image commit reaches the workload, its revert brings the old image back", func(t *testing.T) { flux.imageThroughGit(ctx, t) }},
		{"the golden path: a Backstage form becomes a commit, Flux applies it, the XR and its Kustomization turn Ready, and Backstage shows the service and what it composed", func(t *testing.T) {
			flux.goldenPath(ctx, t)
		}},
		{"day 2 on the golden path: the updater's commit grows the same database, runs the migration and walks the canary; everything Ready again", func(t *testing.T) {
			flux.goldenPathDay2(ctx, t)
		}},
		{"Argo CD takes the deploy repository over from Flux: the app of apps syncs the platform (wave -1) before the environments, each Application Healthy with its XR Ready; no composed object in any Application", func(t *testing.T) {
			argo.takeOver(ctx, t)
		}},
		{"Argo CD reports a spec the function refuses as a Degraded Application with the function's message; the revert heals it", func(t *testing.T) {
			argo.refusedSpec(ctx, t)
		}},
		{"Argo CD's ApplicationSet makes an Application per app directory, and one for an app committed as the Backstage template writes it: Progressing until its XR is Ready, then Healthy", func(t *testing.T) {
			argo.applicationSet(ctx, t)
		}},
		{"an image commit walks the canary while its Argo CD Application is Progressing, then Healthy; nothing composed is pruned (Argo CD stops after this)", func(t *testing.T) {
			argo.canary(ctx, t)
		}},
		{"a fleet of XRs of mixed shapes (E2E_FLEET, one app name in many namespaces) turns Ready; a function restart and a Crossplane restart recompose it", func(t *testing.T) {
			fleet(ctx, t)
		}},
		{"upgrading both packages to the next release keeps every XR Ready and every composed object (same UIDs, same spec); a Manual XR waits until moved", func(t *testing.T) {
			upgrade(ctx, t, append(slices.Clone(apps), fleetApps...))
		}},
		{"steady XRs cost at most 6 calls of the function per XR per hour with Crossplane's response cache (60 without: function-environment-configs' TTL)", func(t *testing.T) {
			steadyCost(ctx, t)
		}},
		{"the connection Secret has the same keys for every provider", func(t *testing.T) {
			for _, a := range apps {
				assertConnectionSecret(ctx, t, a)
			}
		}},
		{"deleting the XR removes what it composed; a production cloud database is kept", func(t *testing.T) {
			assertProtected(ctx, t, rds)
			assertProtected(ctx, t, cloudSQL)
			assertProtected(ctx, t, rdsClaim)
			for _, ns := range []string{"orders", "catalog", "billing"} {
				if err := kc.delete(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", ns, ns); err != nil {
					t.Fatal(err)
				}
			}
			if err := kc.delete(ctx, "legacy.platform.fullstack.io/v1alpha1", "NodeApp", "invoices", "invoices"); err != nil {
				t.Fatal(err)
			}
			if err := kc.delete(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", "shop", "shop"); err != nil {
				t.Fatal(err)
			}
			if err := kc.delete(ctx, "legacy.platform.fullstack.io/v1alpha1", "NodeApp", "blog", "blog"); err != nil {
				t.Fatal(err)
			}
			for _, a := range []*app{dev, canaryProd, blueGreen, paygate} {
				if err := kc.delete(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", a.namespace, a.namespace); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range apps {
				assertGone(ctx, t, a)
			}
		}},
	}
	for _, s := range steps {
		ok, ran := false, false
		_ = cl.timed("scenario/"+s.name, func() error {
			// -run may select some scenarios only (make forms).
			ok = t.Run(s.name, func(t *testing.T) { ran = true; s.fn(t) })
			return nil
		})
		if !ok {
			t.Fatalf("scenario %q failed; later scenarios depend on it (logs: %s)", s.name, filepath.Join(cl.work, "logs"))
		}
		if ran {
			fmt.Printf("e2e: PASS %s\n", s.name)
		}
	}
}

// waitXR polls the XR until check passes.
func waitXR(ctx context.Context, t *testing.T, a *app, what string, check func(*unstructured.Unstructured) error) *unstructured.Unstructured {
	t.Helper()
	var xr *unstructured.Unstructured
	if err := cl.waitFor(180*time.Second, a.example+" XR "+what, func() error {
		var err error
		if xr, err = a.xr(ctx); err != nil {
			return err
		}
		return check(xr)
	}); err != nil {
		// Crossplane reports why a composed resource could not be applied
		// (the API server's own message) as an event on the XR.
		if xr != nil {
			t.Fatalf("%v\nwarning events of %s %s:\n%s", err, xr.GetKind(), xr.GetName(), warnings(ctx, xr))
		}
		t.Fatal(err)
	}
	return xr
}

func xrReady(xr *unstructured.Unstructured) error {
	if s, _ := condition(xr, "Ready"); s != "True" {
		return fmt.Errorf("XR conditions: %s", conditions(xr))
	}
	return nil
}

func synced(xr *unstructured.Unstructured) error {
	if s, _ := condition(xr, "Synced"); s != "True" {
		return fmt.Errorf("XR conditions: %s", conditions(xr))
	}
	return nil
}

// assertComposed waits for the XR to sync and checks every composed object:
// it exists with the expected kind and name, carries the labels of the
// render, and is controlled by the XR.
func assertComposed(ctx context.Context, t *testing.T, a *app) {
	t.Helper()
	// Cluster-scoped managed resources are named after the XR, and a
	// claim's XR gets a generated name.
	live := waitXR(ctx, t, a, "to exist", func(*unstructured.Unstructured) error { return nil })
	for i, r := range a.composed {
		if r.namespace == "" && goldenXR[a.example] != live.GetName() {
			a.composed[i].name = strings.Replace(r.name, goldenXR[a.example], live.GetName(), 1)
		}
	}
	xr := waitXR(ctx, t, a, "Synced=True with every composed object", func(xr *unstructured.Unstructured) error {
		if err := synced(xr); err != nil {
			return err
		}
		for _, r := range a.composed {
			if _, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name); err != nil {
				return fmt.Errorf("%s: %w", r, err)
			}
		}
		return nil
	})
	for _, r := range a.composed {
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range r.labels {
			if k == "crossplane.io/composite" {
				v = xr.GetName() // A claim's XR gets a generated name.
			}
			if got := o.GetLabels()[k]; got != v {
				t.Errorf("%s: label %s = %q, want %q", r, k, got, v)
			}
		}
		owner := false
		for _, ref := range o.GetOwnerReferences() {
			if ref.UID == xr.GetUID() && ref.Controller != nil && *ref.Controller {
				owner = true
			}
		}
		if !owner {
			t.Errorf("%s is not controlled by XR %s (uid %s): owner references %v", r, xr.GetName(), xr.GetUID(), o.GetOwnerReferences())
		}
	}
	t.Logf("%s: %d composed objects exist, labelled and owned by the XR", a.example, len(a.composed))
}

func assertNotReady(ctx context.Context, t *testing.T, a *app) {
	t.Helper()
	xr := waitXR(ctx, t, a, "ResourcesReady=False", func(xr *unstructured.Unstructured) error {
		if s, _ := condition(xr, "ResourcesReady"); s != "False" {
			return fmt.Errorf("XR conditions: %s", conditions(xr))
		}
		return nil
	})
	if s, _ := condition(xr, "Ready"); s == "True" {
		t.Errorf("%s XR is Ready before any controller reported: %s", a.example, conditions(xr))
	}
	_, msg := condition(xr, "ResourcesReady")
	for _, r := range a.composed {
		// What only a played controller makes ready: the real Deployment
		// and Rollout controllers may already have finished.
		switch r.kind {
		case "Cluster", "Ingress":
			if !strings.Contains(msg, r.kind+" "+r.name+":") {
				t.Errorf("%s: ResourcesReady does not name %s: %q", a.example, r, msg)
			}
		}
	}
	t.Logf("%s: not ready: %s", a.example, msg)
}

// reportHealthy patches every composed object's status the way its
// controller would once it runs: Deployments available, the CloudNativePG
// Cluster healthy, the Ingress with an address.
func reportHealthy(ctx context.Context, t *testing.T, a *app) {
	t.Helper()
	for _, r := range a.composed {
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			t.Fatal(err)
		}
		if r.kind == "Deployment" || r.kind == "Rollout" || r.kind == "Job" {
			continue // The real controllers run these; kwok runs their pods.
		}
		// A provider first writes the external name and the fields it
		// late-initializes (fake.Provider), as its own manager; the
		// function's next apply must keep what it owns.
		played, _ := fake.Provider(o.Object)
		if fake.ProviderKinds[r.kind] {
			u := (&unstructured.Unstructured{Object: played}).DeepCopy()
			delete(u.Object, "status")
			if err := kc.update(ctx, u, "provider-upjet"); err != nil {
				t.Fatal(err)
			}
			if o, err = kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name); err != nil {
				t.Fatal(err)
			}
		}
		// The status of that reconcile: its Terraform state included.
		status, created, ok := fake.Report(played, time.Now())
		if !ok {
			continue
		}
		for _, c := range created {
			if err := kc.apply(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := kc.patchStatus(ctx, o, status); err != nil {
			t.Fatal(err)
		}
	}
}

func uids(ctx context.Context, t *testing.T, a *app) map[string]types.UID {
	t.Helper()
	out := map[string]types.UID{}
	for _, r := range a.composed {
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			t.Fatal(err)
		}
		out[r.String()] = o.GetUID()
	}
	return out
}

func specOf(obj map[string]any) map[string]any {
	return obj["spec"].(map[string]any)
}

// dayTwo changes the image, the replicas and the database size of the live
// XR and checks the same objects (same UIDs) carry the new values.
func dayTwo(ctx context.Context, t *testing.T, a *app, xrObj map[string]any) {
	before := uids(ctx, t, a)
	changed := (&unstructured.Unstructured{Object: xrObj}).DeepCopy().Object
	specOf(changed)["frontend"].(map[string]any)["image"] = "ghcr.io/acme/shop-web:1.5.0"
	specOf(changed)["backend"].(map[string]any)["replicas"] = int64(4)
	specOf(changed)["database"].(map[string]any)["size"] = "large"
	if err := kc.apply(ctx, changed); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind, name string
		path       []string
		value      any
	}{
		{"Deployment", "shop-frontend", []string{"spec", "template", "spec", "containers"}, "ghcr.io/acme/shop-web:1.5.0"},
		{"Deployment", "shop-backend", []string{"spec", "replicas"}, int64(4)},
		{"Cluster", "shop-db", []string{"spec", "instances"}, int64(3)},
		{"Cluster", "shop-db", []string{"spec", "storage", "size"}, "100Gi"},
	}
	api := map[string]string{"Deployment": "apps/v1", "Cluster": "postgresql.cnpg.io/v1"}
	if err := cl.waitFor(180*time.Second, "day-2 changes to reach the composed objects", func() error {
		for _, w := range want {
			o, err := kc.get(ctx, api[w.kind], w.kind, "shop", w.name)
			if err != nil {
				return err
			}
			var got any
			if w.path[len(w.path)-1] == "containers" {
				cs, _, _ := unstructured.NestedSlice(o.Object, w.path...)
				got = cs[0].(map[string]any)["image"]
			} else {
				got, _, _ = unstructured.NestedFieldNoCopy(o.Object, w.path...)
			}
			if fmt.Sprint(got) != fmt.Sprint(w.value) {
				return fmt.Errorf("%s %s %s = %v, want %v", w.kind, w.name, strings.Join(w.path, "."), got, w.value)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after := uids(ctx, t, a)
	for k, uid := range before {
		if after[k] != uid {
			t.Errorf("%s was recreated: uid %s became %s", k, uid, after[k])
		}
	}
	t.Logf("image, replicas and database size changed in place on %d objects", len(after))
}

// invalidSpec applies a spec the XRD accepts but the function refuses, and
// checks the XR reports the field while nothing composed changes.
func invalidSpec(ctx context.Context, t *testing.T, a *app, xrObj map[string]any) {
	// What Crossplane applies: spec (data for a Secret), labels and
	// annotations. Status and resourceVersion move on their own now that
	// the real Deployment and ReplicaSet controllers run.
	applied := func(o *unstructured.Unstructured) string {
		return fmt.Sprint(o.Object["spec"], o.Object["data"], o.GetLabels(), o.GetAnnotations())
	}
	before := map[string]string{}
	for _, r := range a.composed {
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			t.Fatal(err)
		}
		before[r.String()] = applied(o)
	}
	bad := (&unstructured.Unstructured{Object: xrObj}).DeepCopy().Object
	specOf(bad)["backend"].(map[string]any)["resources"] = map[string]any{
		"requests": map[string]any{"cpu": "2"}, "limits": map[string]any{"cpu": "1"},
	}
	if err := kc.apply(ctx, bad); err != nil {
		t.Fatal(err)
	}
	const field = "spec.backend.resources.requests.cpu"
	xr := waitXR(ctx, t, a, "Synced=False naming "+field, func(xr *unstructured.Unstructured) error {
		s, msg := condition(xr, "Synced")
		if s != "False" || !strings.Contains(msg, field) {
			return fmt.Errorf("XR conditions: %s", conditions(xr))
		}
		return nil
	})
	_, msg := condition(xr, "Synced")
	// Give Crossplane time to (wrongly) apply anything, then compare.
	time.Sleep(5 * time.Second)
	for _, r := range a.composed {
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			t.Fatalf("%s disappeared after an invalid spec: %v", r, err)
		}
		if got := applied(o); got != before[r.String()] {
			t.Errorf("%s changed after an invalid spec:\nbefore %s\nafter  %s", r, before[r.String()], got)
		}
	}
	t.Logf("invalid spec reported: %s", msg)
	// Put the day-2 spec back so the XR can be deleted cleanly.
	good := (&unstructured.Unstructured{Object: xrObj}).DeepCopy().Object
	specOf(good)["frontend"].(map[string]any)["image"] = "ghcr.io/acme/shop-web:1.5.0"
	specOf(good)["backend"].(map[string]any)["replicas"] = int64(4)
	specOf(good)["database"].(map[string]any)["size"] = "large"
	if err := kc.apply(ctx, good); err != nil {
		t.Fatal(err)
	}
	waitXR(ctx, t, a, "Synced=True again", synced)
}

func assertGone(ctx context.Context, t *testing.T, a *app) {
	t.Helper()
	if err := cl.waitFor(180*time.Second, a.example+" composed objects to be deleted", func() error {
		var left []string
		for _, r := range a.composed {
			if _, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name); err == nil {
				left = append(left, r.String())
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still present: %s", strings.Join(left, ", "))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// warnings lists the distinct Warning events of an object.
func warnings(ctx context.Context, u *unstructured.Unstructured) string {
	ns := u.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	r, err := kc.resource("v1", "Event", ns)
	if err != nil {
		return err.Error()
	}
	l, err := r.List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + u.GetName() + ",type=Warning"})
	if err != nil {
		return err.Error()
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range l.Items {
		msg, _, _ := unstructured.NestedString(e.Object, "message")
		if !seen[msg] {
			seen[msg] = true
			out = append(out, "  "+msg)
		}
	}
	if len(out) == 0 {
		return "  (none)"
	}
	return strings.Join(out, "\n")
}

// assertConnectionSecret checks the connection Secret the backend reads
// exists with the contract's keys and is what the backend references.
func assertConnectionSecret(ctx context.Context, t *testing.T, a *app) {
	t.Helper()
	xr, err := a.xr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := unstructured.NestedString(xr.Object, "status", "database", "secretName")
	s, err := kc.get(ctx, "v1", "Secret", a.namespace, name)
	if err != nil {
		t.Fatalf("%s: connection Secret %q named in the XR status: %v", a.example, name, err)
	}
	data, _, _ := unstructured.NestedStringMap(s.Object, "data")
	var keys []string
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := "dbname host jdbcUrl password port sslmode sslrootcert uri username"; strings.Join(keys, " ") != want {
		t.Errorf("%s: connection Secret keys %v, want %s", a.example, keys, want)
	}
	t.Logf("%s: connection Secret %s has keys %v", a.example, name, keys)
}

// assertProtected checks that a production cloud database would outlive its
// XR: the provider never deletes the external database of a managed resource
// whose management policies leave out Delete.
func assertProtected(ctx context.Context, t *testing.T, a *app) {
	t.Helper()
	for _, r := range a.composed {
		if r.kind != "Instance" && r.kind != "DatabaseInstance" {
			continue
		}
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			t.Fatal(err)
		}
		policies, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "managementPolicies")
		deletion, _, _ := unstructured.NestedString(o.Object, "spec", "deletionPolicy")
		protection, _, _ := unstructured.NestedBool(o.Object, "spec", "forProvider", "deletionProtection")
		// Default management policies (["*"]) leave the decision to the
		// deletion policy; any other set decides by whether it has Delete.
		keeps := deletion == "Orphan"
		if len(policies) > 0 && (len(policies) != 1 || policies[0] != "*") {
			keeps = true
			for _, p := range policies {
				if p == "Delete" {
					keeps = false
				}
			}
		}
		if !keeps {
			t.Errorf("%s: managementPolicies %v, deletionPolicy %q let the provider delete the database", r, policies, deletion)
		}
		if !protection {
			t.Errorf("%s: deletionProtection is off in production", r)
		}
		t.Logf("%s: managementPolicies %v, deletionPolicy %q, deletionProtection %v: deleting the XR leaves the cloud database in place", r, policies, deletion, protection)
	}
}

// claimXR returns the XR bound to the NodeApp claim of that name, which
// lives in the namespace of the same name.
func claimXR(name string) func(context.Context) (*unstructured.Unstructured, error) {
	return func(ctx context.Context) (*unstructured.Unstructured, error) {
		c, err := kc.get(ctx, "legacy.platform.fullstack.io/v1alpha1", "NodeApp", name, name)
		if err != nil {
			return nil, err
		}
		xr, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
		if xr == "" {
			return nil, fmt.Errorf("the claim is not bound to an XR yet: %s", conditions(c))
		}
		return kc.get(ctx, "legacy.platform.fullstack.io/v1alpha1", "XNodeApp", "", xr)
	}
}

// switchStrategy switches a running XFullStackService from rollingUpdate to
// canary and back on the real Deployment, ReplicaSet and Argo Rollouts
// controllers (kwok runs the pods), with Crossplane reconciling throughout,
// and watches the pods the stable Service selects: at no moment may none
// of them be ready. The stable Service and the Ingress are never recreated.
func switchStrategy(ctx context.Context, t *testing.T, a *app, xrObj map[string]any) {
	const ns, name = "notes", "notes"
	uid := func(apiVersion, kind string) types.UID {
		o, err := kc.get(ctx, apiVersion, kind, ns, name)
		if err != nil {
			t.Fatalf("%s %s/%s: %v", kind, ns, name, err)
		}
		return o.GetUID()
	}
	serviceUID, ingressUID := uid("v1", "Service"), uid("networking.k8s.io/v1", "Ingress")
	setStrategy := func(strategy string) {
		x := (&unstructured.Unstructured{Object: xrObj}).DeepCopy().Object
		specOf(x)["delivery"] = map[string]any{"strategy": strategy}
		if err := kc.apply(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(apiVersion, kind string) (*unstructured.Unstructured, bool) {
		o, err := kc.get(ctx, apiVersion, kind, ns, name)
		return o, err == nil
	}
	wait := func(what string, check func() error) {
		t.Helper()
		if err := cl.waitFor(180*time.Second, what, check); err != nil {
			xr, _ := a.xr(ctx)
			if xr != nil {
				t.Fatalf("%v\nXR conditions: %s", err, conditions(xr))
			}
			t.Fatal(err)
		}
	}
	serving, err := watchServing(ctx, ns, name)
	if err != nil {
		t.Fatal(err)
	}

	// rollingUpdate → canary: the Rollout starts beside the Deployment and
	// takes the Service over once Healthy.
	setStrategy("canary")
	wait("the Deployment to go and the Rollout to manage the stable Service", func() error {
		if _, ok := exists("apps/v1", "Deployment"); ok {
			return fmt.Errorf("the Deployment is still there")
		}
		r, ok := exists("argoproj.io/v1alpha1", "Rollout")
		if !ok {
			return fmt.Errorf("no Rollout")
		}
		if s, _, _ := unstructured.NestedString(r.Object, "spec", "strategy", "canary", "stableService"); s != name {
			return fmt.Errorf("the Rollout does not manage the stable Service yet")
		}
		return nil
	})
	waitXR(ctx, t, a, "Ready=True on the canary", xrReady)
	t.Logf("rollingUpdate → canary: the Deployment served until the Rollout was Healthy")

	// canary → rollingUpdate: the Deployment starts beside the retiring
	// Rollout, which goes once the Deployment is ready.
	setStrategy("rollingUpdate")
	wait("the Rollout to go", func() error {
		if _, ok := exists("argoproj.io/v1alpha1", "Rollout"); ok {
			return fmt.Errorf("the Rollout is still there")
		}
		if _, ok := exists("apps/v1", "Deployment"); !ok {
			return fmt.Errorf("no Deployment")
		}
		return nil
	})
	waitXR(ctx, t, a, "Ready=True on the Deployment again", xrReady)
	low, events := serving.stop()
	if events == 0 {
		t.Errorf("no pod or Service event was watched: %s", serving.lowAt)
	}
	if low < 1 {
		t.Errorf("the stable Service selected no ready pod at some point (%d events watched): %s", events, serving.lowAt)
	}
	if got := uid("v1", "Service"); got != serviceUID {
		t.Errorf("the stable Service was recreated: uid %s became %s", serviceUID, got)
	}
	if got := uid("networking.k8s.io/v1", "Ingress"); got != ingressUID {
		t.Errorf("the Ingress was recreated: uid %s became %s", ingressUID, got)
	}
	t.Logf("canary → rollingUpdate and back: the stable Service selected at least %d ready pods throughout (%d pod and Service events); Service and Ingress kept their UIDs", low, events)
}

// workloadsReady waits until every Deployment and Rollout the app composed
// is rolled out as the function judges it (the generation observed, every
// replica updated and available; a Rollout Healthy), and returns when it
// saw that.
func workloadsReady(ctx context.Context, t *testing.T, a *app) time.Time {
	t.Helper()
	if err := cl.waitFor(5*time.Minute, a.example+" workloads rolled out", func() error {
		for _, r := range a.composed {
			if r.kind != "Deployment" && r.kind != "Rollout" {
				continue
			}
			o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
			if err != nil {
				return err
			}
			if r.kind == "Rollout" {
				if phase, _, _ := unstructured.NestedString(o.Object, "status", "phase"); phase != "Healthy" {
					return fmt.Errorf("%s: phase %q", r, phase)
				}
				continue
			}
			want, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
			observed, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration")
			updated, _, _ := unstructured.NestedInt64(o.Object, "status", "updatedReplicas")
			available, _, _ := unstructured.NestedInt64(o.Object, "status", "availableReplicas")
			if observed < o.GetGeneration() || updated < want || available < want {
				return fmt.Errorf("%s: %d of %d replicas updated, %d available", r, updated, want, available)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}
