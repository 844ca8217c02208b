//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// The Argo CD scenarios: the real application-controller, repo-server and
// applicationset-controller of Argo CD (E2E_ARGOCD, built from the module
// proxy), with Debian's Redis and the kustomize Argo CD ships, take the
// deploy repository over from Flux (whose Kustomizations are suspended
// first, as a team moving from one to the other would) and sync it with
// example/gitops/argocd as a team applies it.

const argoNS = "argocd"

// argoScenarios runs the Argo CD scenarios in order; each depends on the
// one before.
type argoScenarios struct {
	flux *fluxScenarios
	// uids are the composed objects of every XR the Applications sync, as
	// they were before Argo CD started: none may be pruned or replaced.
	uids map[string]types.UID
	// refs names each of those objects, for the messages.
	refs map[string]string
}

// argoComponents are the processes startArgoCD starts, for stopArgoCD.
var argoComponents = []string{"redis", "argocd-repo-server", "argocd-application-controller", "argocd-applicationset-controller"}

// startArgoCD starts Redis and Argo CD's components, with Argo CD's CRDs,
// the argocd-cm of example/gitops/argocd and the ConfigMaps, Secret and
// default AppProject its install manifest (and its API server, which does
// not run here) would create.
func (c *cluster) startArgoCD(ctx context.Context) error {
	redis := freePort()
	if err := c.start("redis", nil, env("E2E_REDIS"), "--port", fmt.Sprint(redis), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", c.work); err != nil {
		return err
	}
	crds, err := filepath.Glob(filepath.Join(env("E2E_ARGOCD_CRDS"), "*-crd.yaml"))
	if err != nil || len(crds) != 3 {
		return fmt.Errorf("Argo CD's CRDs in %s: %v (%v)", env("E2E_ARGOCD_CRDS"), crds, err)
	}
	objs, err := readManifests(crds...)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := kc.apply(ctx, o); err != nil {
			return err
		}
	}
	if err := c.waitFor(60*time.Second, "Argo CD's CRDs to be served", func() error {
		for _, kind := range []string{"Application", "ApplicationSet", "AppProject"} {
			r, err := kc.resource("argoproj.io/v1alpha1", kind, argoNS)
			if err != nil {
				return err
			}
			if _, err := r.List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := kc.apply(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": argoNS}}); err != nil {
		return err
	}
	cm, err := readManifests(filepath.Join(env("E2E_REPO"), "example", "gitops", "argocd", "argocd-cm.yaml"),
		filepath.Join(env("E2E_REPO"), "example", "gitops", "argocd", "argocd-cmd-params-cm.yaml"))
	if err != nil {
		return err
	}
	part := map[string]any{"app.kubernetes.io/part-of": "argocd"}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	installed := append(cm,
		// Argo CD's API server writes a server.secretkey at its start, and
		// the controller cannot read a cluster without it.
		map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "argocd-secret", "namespace": argoNS, "labels": part},
			"data": map[string]any{"server.secretkey": base64.StdEncoding.EncodeToString(key)}},
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "argocd-rbac-cm", "namespace": argoNS, "labels": part}},
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "argocd-tls-certs-cm", "namespace": argoNS, "labels": part}},
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "argocd-ssh-known-hosts-cm", "namespace": argoNS, "labels": part}},
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "argocd-gpg-keys-cm", "namespace": argoNS, "labels": part}},
		// Argo CD's API server creates the default project at its start.
		map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": map[string]any{"name": "default", "namespace": argoNS},
			"spec": map[string]any{
				"sourceRepos":              []any{"*"},
				"destinations":             []any{map[string]any{"namespace": "*", "server": "*"}},
				"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
			}},
	)
	for _, o := range installed {
		if err := kc.apply(ctx, o); err != nil {
			return err
		}
	}

	data := filepath.Join(c.work, "argocd")
	for _, d := range []string{"tls", "ssh", "gpg"} {
		if err := os.MkdirAll(filepath.Join(data, d), 0o755); err != nil {
			return err
		}
	}
	repoServer := fmt.Sprintf("127.0.0.1:%d", freePort())
	envs := func(component string) []string {
		return []string{
			"ARGOCD_BINARY_NAME=" + component,
			// The in-cluster destination (https://kubernetes.default.svc)
			// is the cluster of KUBECONFIG, as in Argo CD's own local runs.
			"ARGOCD_FAKE_IN_CLUSTER=true", "KUBECONFIG=" + c.kubeconfig,
			"ARGOCD_TLS_DATA_PATH=" + filepath.Join(data, "tls"), "ARGOCD_SSH_DATA_PATH=" + filepath.Join(data, "ssh"),
			"ARGOCD_GPG_ENABLED=false", "ARGOCD_GNUPGHOME=" + filepath.Join(data, "gpg"),
			// The repo-server runs kustomize from its PATH.
			"PATH=" + filepath.Dir(env("E2E_KUSTOMIZE")) + ":" + os.Getenv("PATH"),
			// etcd 3.4 (Debian's) has no watch progress requests.
			"KUBE_FEATURE_WatchListClient=false",
		}
	}
	// Argo CD's install maps each argocd-cmd-params-cm key to an
	// environment variable of its component; here the controller's one key.
	var params map[string]any
	for _, o := range cm {
		if m, _ := o["metadata"].(map[string]any); m["name"] == "argocd-cmd-params-cm" {
			params, _ = o["data"].(map[string]any)
		}
	}
	persist := fmt.Sprint(params["controller.resource.health.persist"])
	bin := env("E2E_ARGOCD")
	redisAddr := fmt.Sprintf("127.0.0.1:%d", redis)
	if err := c.start("argocd-repo-server", envs("argocd-repo-server"), bin,
		"--address", "127.0.0.1", "--port", strings.TrimPrefix(repoServer, "127.0.0.1:"), "--disable-tls",
		"--metrics-address", "127.0.0.1", "--metrics-port", fmt.Sprint(freePort()),
		"--redis", redisAddr, "--loglevel", "info"); err != nil {
		return err
	}
	if err := c.start("argocd-application-controller", append(envs("argocd-application-controller"),
		"ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH="+persist), bin,
		"--namespace", argoNS, "--redis", redisAddr,
		"--repo-server", repoServer, "--repo-server-plaintext",
		"--metrics-port", fmt.Sprint(freePort()), "--loglevel", "info",
		// A fresh look at Git every 30 s (default 120 s); the scenarios
		// also ask for a refresh after each push, as a webhook would.
		"--app-resync", "30", "--self-heal-timeout-seconds", "2"); err != nil {
		return err
	}
	return c.start("argocd-applicationset-controller", envs("argocd-applicationset-controller"), bin,
		"--namespace", argoNS,
		"--argocd-repo-server", repoServer, "--repo-server-plaintext",
		"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", freePort()),
		"--probe-addr", fmt.Sprintf("127.0.0.1:%d", freePort()),
		"--webhook-addr", fmt.Sprintf("127.0.0.1:%d", freePort()),
		"--loglevel", "info")
}

// stopArgoCD ends Argo CD and Redis, so nothing syncs the deploy repository
// over the scenarios that follow (an upgrade Argo CD's self-heal would
// revert).
func (c *cluster) stopArgoCD() { c.stopNamed(argoComponents...) }

// argoApp is an Application's sync and health as Argo CD reports them.
type argoApp struct {
	name, sync, health, revision, operation string
	resources                               []argoResource
}

type argoResource struct {
	group, kind, namespace, name, sync, health, message string
}

func (r argoResource) String() string {
	return fmt.Sprintf("%s/%s/%s: %s %s %s", r.kind, r.namespace, r.name, r.sync, r.health, r.message)
}

func (a argoApp) String() string {
	rs := make([]string, len(a.resources))
	for i, r := range a.resources {
		rs[i] = r.String()
	}
	return fmt.Sprintf("%s: %s %s at %.8s (operation %s) [%s]", a.name, a.sync, a.health, a.revision, a.operation, strings.Join(rs, "; "))
}

func getArgoApp(ctx context.Context, name string) (argoApp, error) {
	u, err := kc.get(ctx, "argoproj.io/v1alpha1", "Application", argoNS, name)
	if err != nil {
		return argoApp{}, err
	}
	a := argoApp{name: name}
	a.sync, _, _ = unstructured.NestedString(u.Object, "status", "sync", "status")
	a.revision, _, _ = unstructured.NestedString(u.Object, "status", "sync", "revision")
	a.health, _, _ = unstructured.NestedString(u.Object, "status", "health", "status")
	a.operation, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "phase")
	rs, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
	for _, r := range rs {
		m, _ := r.(map[string]any)
		h, _ := m["health"].(map[string]any)
		s := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
		a.resources = append(a.resources, argoResource{group: s(m, "group"), kind: s(m, "kind"), namespace: s(m, "namespace"), name: s(m, "name"),
			sync: s(m, "status"), health: s(h, "status"), message: s(h, "message")})
	}
	return a, nil
}

// refreshApp asks Argo CD to compare the Application with Git now, as a
// webhook or `argocd app get --refresh` does.
func refreshApp(ctx context.Context, name string) error {
	r, err := kc.resource("argoproj.io/v1alpha1", "Application", argoNS)
	if err != nil {
		return err
	}
	_, err = r.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}`), metav1.PatchOptions{})
	return err
}

// fromGit are the kinds the deploy repository holds; anything else in an
// Application's resources is something Argo CD took for its own.
var fromGit = []string{"Namespace", "XNodeApp", "XFullStackService", "NodeApp", "FullStackService", "Configuration", "EnvironmentConfig", "Application", "ApplicationSet"}

// notOwned fails when an Application lists a resource the repository does
// not hold (a composed object Argo CD's tracking took for its own, which it
// would report OutOfSync and prune) or one marked for pruning.
func notOwned(a argoApp) error {
	for _, r := range a.resources {
		if !slices.Contains(fromGit, r.kind) {
			return stop(fmt.Errorf("Application %s lists %s, which is not in Git: Argo CD took a composed object for its own", a.name, r))
		}
	}
	return nil
}

// waitArgoApp polls an Application (refreshing it now and then) until check
// passes; on every poll no Application may list a composed object.
func waitArgoApp(ctx context.Context, t *testing.T, name string, timeout time.Duration, what string, check func(argoApp) error) argoApp {
	t.Helper()
	var last argoApp
	polls := 0
	if err := cl.waitFor(timeout, name+" "+what, func() error {
		if err := allNotOwned(ctx); err != nil {
			return err
		}
		a, err := getArgoApp(ctx, name)
		if err != nil {
			return err
		}
		last = a
		if polls++; polls%10 == 1 {
			_ = refreshApp(ctx, name)
		}
		return check(a)
	}); err != nil {
		t.Fatal(err)
	}
	return last
}

// allNotOwned runs notOwned on every Application.
func allNotOwned(ctx context.Context) error {
	r, err := kc.resource("argoproj.io/v1alpha1", "Application", argoNS)
	if err != nil {
		return err
	}
	l, err := r.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, u := range l.Items {
		a, err := getArgoApp(ctx, u.GetName())
		if err != nil {
			return err
		}
		if err := notOwned(a); err != nil {
			return err
		}
	}
	return nil
}

func syncedHealthy(commit string) func(argoApp) error {
	return func(a argoApp) error {
		if a.sync != "Synced" || a.health != "Healthy" || (commit != "" && a.revision != commit) {
			return fmt.Errorf("%s", a)
		}
		return nil
	}
}

// pointArgoAtRepo makes the deploy repository's Argo CD manifests name the
// e2e's git server instead of github.com/acme/deploy (a team's fork of
// example/gitops does the same with its own URL).
func (s *argoScenarios) pointArgoAtRepo(t *testing.T) string {
	t.Helper()
	repo := s.flux.repo
	files, err := filepath.Glob(filepath.Join(repo.work, "argocd", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(repo.work, "argocd", "apps", "*.yaml"))
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(b), "https://github.com/acme/deploy.git", repo.url)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return repo.commit(t, "Argo CD: the deploy repository is the e2e's git server")
}

// takeOver suspends Flux, starts Argo CD and applies the app of apps: the
// platform Application (wave -1) turns Healthy before the environments'
// Applications (wave 0) are created, and each of those is Synced and
// Healthy with its XR Ready; no composed object shows in any Application.
func (s *argoScenarios) takeOver(ctx context.Context, t *testing.T) {
	r, err := kc.resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", fluxNS)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"platform", "shop-development", "shop-staging", "shop-production"} {
		if _, err := r.Patch(ctx, k, types.MergePatchType, []byte(`{"spec":{"suspend":true}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s.uids, s.refs = map[string]types.UID{}, map[string]string{}
	for _, a := range s.flux.apps {
		refs, err := composedRefs(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		a.composed = refs
		for k, v := range uids(ctx, t, a) {
			s.uids[k], s.refs[k] = v, a.namespace
		}
	}
	commit := s.pointArgoAtRepo(t)
	s.flux.repo.push(t)
	start := time.Now()
	if err := cl.startArgoCD(ctx); err != nil {
		t.Fatal(err)
	}
	root, err := readManifests(filepath.Join(s.flux.repo.work, "argocd", "root.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.apply(ctx, root[0]); err != nil {
		t.Fatal(err)
	}
	platform := waitArgoApp(ctx, t, "platform", 240*time.Second, "Synced and Healthy", syncedHealthy(commit))
	fmt.Printf("e2e: argocd: %s (%.0fs after Argo CD started)\n", platform, time.Since(start).Seconds())
	healthy, err := kc.get(ctx, "argoproj.io/v1alpha1", "Application", argoNS, "platform")
	if err != nil {
		t.Fatal(err)
	}
	healthySince, _, _ := unstructured.NestedString(healthy.Object, "status", "health", "lastTransitionTime")
	for _, env := range []string{"development", "staging", "production"} {
		name := "shop-" + env
		a := waitArgoApp(ctx, t, name, 180*time.Second, "Synced and Healthy, its XR Healthy by the health check", func(a argoApp) error {
			if err := syncedHealthy(commit)(a); err != nil {
				return err
			}
			// Without argocd-cm's health check Argo CD gives an XR no
			// health at all, and the Application is Healthy regardless.
			for _, r := range a.resources {
				if r.kind == "XNodeApp" && r.health == "Healthy" && r.message == "Ready" {
					return nil
				}
			}
			return fmt.Errorf("the XR has not the health check's verdict: %s", a)
		})
		u, err := kc.get(ctx, "argoproj.io/v1alpha1", "Application", argoNS, name)
		if err != nil {
			t.Fatal(err)
		}
		// Wave 0 is created only once wave -1 is Healthy.
		created := u.GetCreationTimestamp().UTC().Format(time.RFC3339)
		if healthySince == "" || created < healthySince {
			t.Errorf("%s was created at %s, before platform was Healthy (%q): the sync waves did not hold it", name, created, healthySince)
		}
		fmt.Printf("e2e: argocd: %s (created %s, platform Healthy since %s)\n", a, created, healthySince)
	}
	s.assertNothingPruned(ctx, t)
	fmt.Printf("e2e: argocd: app of apps synced and Healthy %.0fs after Argo CD started\n", time.Since(start).Seconds())
}

// assertNothingPruned checks every composed object of the environments'
// XRs is the one that was there before Argo CD started.
func (s *argoScenarios) assertNothingPruned(ctx context.Context, t *testing.T) {
	t.Helper()
	for _, a := range s.flux.apps {
		for k, v := range uids(ctx, t, a) {
			if was, ok := s.uids[k]; ok && was != v {
				t.Errorf("%s in %s was replaced (uid %s, now %s)", k, s.refs[k], was, v)
			}
		}
	}
}

// refusedSpec commits to staging a spec the function refuses: the
// Application turns Degraded, its XR's health carrying the function's
// message; the revert brings it back to Healthy.
func (s *argoScenarios) refusedSpec(ctx context.Context, t *testing.T) {
	repo := s.flux.repo
	repo.edit(t, filepath.Join("apps", "staging", "shop", "kustomization.yaml"), "        value: staging\n", `        value: staging
      - op: add
        path: /spec/backend/resources
        value:
          requests: {cpu: "2"}
          limits: {cpu: "1"}
`)
	bad := repo.commit(t, "staging: more CPU for the API")
	repo.push(t)
	start := time.Now()
	_ = refreshApp(ctx, "shop-staging")
	a := waitArgoApp(ctx, t, "shop-staging", 180*time.Second, "Degraded with the function's message", func(a argoApp) error {
		if a.revision != bad || a.sync != "Synced" || a.health != "Degraded" {
			return fmt.Errorf("%s", a)
		}
		for _, r := range a.resources {
			if r.kind == "XNodeApp" && r.health == "Degraded" && strings.Contains(r.message, "must be less than or equal to cpu limit 1") {
				return nil
			}
		}
		return fmt.Errorf("the XR's health does not carry the function's message: %s", a)
	})
	fmt.Printf("e2e: argocd: refused commit %.8s after %.0fs: %s\n", bad, time.Since(start).Seconds(), a)

	run(t, repo.work, "git", "revert", "--no-edit", "HEAD")
	good := run(t, repo.work, "git", "rev-parse", "HEAD")
	repo.push(t)
	start = time.Now()
	_ = refreshApp(ctx, "shop-staging")
	a = waitArgoApp(ctx, t, "shop-staging", 180*time.Second, "Healthy after the revert", syncedHealthy(good))
	fmt.Printf("e2e: argocd: revert %.8s Healthy after %.0fs: %s\n", good, time.Since(start).Seconds(), a)
}

// applicationSet moves the repository from apps/environments.yaml to the
// ApplicationSet (one Application per cluster and app directory): the app
// of apps prunes the three Applications (not what they synced: they carry
// no resources finalizer) and the ApplicationSet makes one per directory,
// the golden path's included. Then a new app committed as the Backstage
// template writes one (apps/<environment>/<name>/ with its Namespace, XR
// and kustomization.yaml) gets its Application with no other edit,
// Progressing until its XR is Ready, then Healthy.
func (s *argoScenarios) applicationSet(ctx context.Context, t *testing.T) {
	repo := s.flux.repo
	run(t, repo.work, "git", "mv", filepath.Join("argocd", "applicationset.yaml"), filepath.Join("argocd", "apps", "applicationset.yaml"))
	run(t, repo.work, "git", "rm", "-q", filepath.Join("argocd", "apps", "environments.yaml"))
	commit := repo.commit(t, "Argo CD: one Application per app directory (ApplicationSet) instead of apps/environments.yaml")
	repo.push(t)
	start := time.Now()
	_ = refreshApp(ctx, "fullstack")
	want := []string{"shop-development-in-cluster", "shop-staging-in-cluster", "shop-production-in-cluster",
		"payment-service-staging-in-cluster", "payment-ledger-staging-in-cluster"}
	for _, name := range want {
		waitArgoApp(ctx, t, name, 240*time.Second, "Synced and Healthy", syncedHealthy(commit))
	}
	if err := cl.waitFor(120*time.Second, "the app of apps to prune apps/environments.yaml's Applications", func() error {
		for _, env := range []string{"development", "staging", "production"} {
			if _, err := kc.get(ctx, "argoproj.io/v1alpha1", "Application", argoNS, "shop-"+env); err == nil {
				return fmt.Errorf("Application shop-%s is still there", env)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.assertNothingPruned(ctx, t)
	fmt.Printf("e2e: argocd: ApplicationSet: %d Applications Synced and Healthy %.0fs after commit %.8s\n", len(want), time.Since(start).Seconds(), commit)

	// A new app, as the template writes it, in development.
	src, dst := filepath.Join(repo.work, "apps", "staging", "payment-service"), filepath.Join(repo.work, "apps", "development", "payment-service")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"namespace.yaml", "payment-service.yaml", "kustomization.yaml", "catalog-info.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		// Its first version, without the day-2 migration.
		out := strings.NewReplacer("payments-staging", "payments-dev", "environment: staging", "environment: development",
			"payment-service:1.1.0", "payment-service:1.0.0",
			"    migration:\n      command:\n      - npm\n      - run\n      - migrate\n", "").Replace(string(b))
		if strings.Contains(out, "migrate") || strings.Contains(out, "staging") {
			t.Fatalf("apps/staging/payment-service/%s is not as the day-2 commit left it:\n%s", f, out)
		}
		if err := os.WriteFile(filepath.Join(dst, f), []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	added := repo.commit(t, "Add XFullStackService payment-service in development")
	repo.push(t)
	start = time.Now()
	refreshAppSet(ctx, t, "apps")
	name := "payment-service-development-in-cluster"
	a := waitArgoApp(ctx, t, name, 240*time.Second, "Synced and Progressing while its XR is not Ready", func(a argoApp) error {
		if a.revision != added || a.sync != "Synced" || a.health != "Progressing" {
			return fmt.Errorf("%s", a)
		}
		return nil
	})
	fmt.Printf("e2e: argocd: %s (%.0fs after the commit)\n", a, time.Since(start).Seconds())
	dev := &app{example: "argocd-payment-service", namespace: "payments-dev", xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", "payments-dev", "payment-service")
	}}
	if x, err := dev.xr(ctx); err == nil && xrReady(x) == nil {
		t.Fatalf("%s is Progressing but its XR is already Ready", name)
	}
	// What the XR composed exists once it is Synced; then the played
	// controllers report.
	waitXR(ctx, t, dev, "created by Argo CD and Synced", synced)
	reportUntilReady(ctx, t, dev, "Ready=True")
	a = waitArgoApp(ctx, t, name, 120*time.Second, "Healthy once its XR is Ready", syncedHealthy(added))
	fmt.Printf("e2e: argocd: %s (%.0fs after the commit)\n", a, time.Since(start).Seconds())
}

// refreshAppSet asks the ApplicationSet controller to run its generators
// now, as a Git webhook would.
func refreshAppSet(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	r, err := kc.resource("argoproj.io/v1alpha1", "ApplicationSet", argoNS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/application-set-refresh":"true"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// canary commits a new image for the staging payment service: its
// Application is Progressing while the canary walks (promoted through its
// pauses) and Healthy once the new image serves.
func (s *argoScenarios) canary(ctx context.Context, t *testing.T) {
	repo := s.flux.repo
	const image = "ghcr.io/acme/payment-service:1.2.0"
	repo.edit(t, filepath.Join("apps", "staging", "payment-service", "payment-service.yaml"), "image: ghcr.io/acme/payment-service:1.1.0", "image: "+image)
	commit := repo.commit(t, "payment-service 1.2.0 in staging")
	repo.push(t)
	start := time.Now()
	name := "payment-service-staging-in-cluster"
	_ = refreshApp(ctx, name)
	var seen []string
	// The migration Job and each canary step wait for kwok to start pods,
	// which it does up to 50 s late against Debian's etcd (CI saw the walk
	// take 164 s, 195 s and over 300 s).
	walkCanary(ctx, t, "payments-staging", "payment-service", image, 8*time.Minute, func() (string, error) {
		if err := allNotOwned(ctx); err != nil {
			return "", err
		}
		a, err := getArgoApp(ctx, name)
		if err != nil {
			return "", err
		}
		if a.revision != commit {
			_ = refreshApp(ctx, name)
			return "", fmt.Errorf("%s", a)
		}
		if len(seen) == 0 || seen[len(seen)-1] != a.health {
			seen = append(seen, a.health)
		}
		return a.String(), nil
	})
	a := waitArgoApp(ctx, t, name, 120*time.Second, "Healthy with the new image", syncedHealthy(commit))
	if !slices.Contains(seen, "Progressing") {
		t.Errorf("%s was never Progressing while the canary walked (health seen: %v)", name, seen)
	}
	s.assertNothingPruned(ctx, t)
	fmt.Printf("e2e: argocd: canary of %s: health %s, then %s, %.0fs after the commit\n", image, strings.Join(seen, " -> "), a, time.Since(start).Seconds())
	cl.stopArgoCD()
}
