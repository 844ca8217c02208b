//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// The Flux scenarios: the real source-controller and kustomize-controller
// pull example/gitops (the deploy repository) from a git server on loopback
// (git's own smart HTTP, `git http-backend`, served as CGI) and apply it
// with the Kustomizations of example/gitops/flux/deploy.yaml.

// startFlux starts source-controller (artifacts served on loopback) and
// kustomize-controller.
func (c *cluster) startFlux() error {
	kenv := []string{"KUBECONFIG=" + c.kubeconfig, "RUNTIME_NAMESPACE=flux-system"}
	storage := freePort()
	if err := os.MkdirAll(filepath.Join(c.work, "flux-artifacts"), 0o755); err != nil {
		return err
	}
	if err := c.start("source-controller", kenv, env("E2E_SOURCE_CONTROLLER"),
		"--storage-path="+filepath.Join(c.work, "flux-artifacts"),
		fmt.Sprintf("--storage-addr=127.0.0.1:%d", storage),
		fmt.Sprintf("--storage-adv-addr=127.0.0.1:%d", storage),
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", freePort()),
		fmt.Sprintf("--health-addr=127.0.0.1:%d", freePort()),
		"--log-level=info",
	); err != nil {
		return err
	}
	// --requeue-dependency: an app's Kustomization depends on platform's,
	// and waits until platform has applied the same commit; the default
	// (30s) made every commit's first leg 30 s.
	return c.start("kustomize-controller", kenv, env("E2E_KUSTOMIZE_CONTROLLER"),
		"--requeue-dependency=5s",
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", freePort()),
		fmt.Sprintf("--health-addr=127.0.0.1:%d", freePort()),
		"--log-level=info",
	)
}

// gitRepo is the deploy repository: a bare repository served over smart
// HTTP, and a working copy the scenarios commit to and push from.
type gitRepo struct {
	url  string
	work string
	// bare is the repository the server serves, as a path.
	bare string
}

func newGitRepo(t *testing.T, dir, content string) *gitRepo {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "srv")
	r := &gitRepo{work: filepath.Join(dir, "work"), bare: filepath.Join(root, "deploy.git")}
	run(t, "", "git", "init", "-q", "--bare", "-b", "main", filepath.Join(root, "deploy.git"))
	run(t, "", "git", "init", "-q", "-b", "main", r.work)
	run(t, r.work, "cp", "-r", content+"/.", r.work)
	r.commit(t, "The shop in development, staging and production")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &cgi.Handler{Path: git, Args: []string{"http-backend"}, Env: []string{
		"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
	}}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// Serves for the rest of the test process: later scenarios push to it.
	go func() { _ = srv.Serve(l) }()
	r.url = "http://" + l.Addr().String() + "/deploy.git"
	run(t, r.work, "git", "remote", "add", "origin", filepath.Join(root, "deploy.git"))
	r.push(t)
	return r
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit commits everything in the working copy and returns the commit.
func (r *gitRepo) commit(t *testing.T, msg string) string {
	t.Helper()
	run(t, r.work, "git", "add", "-A")
	run(t, r.work, "git", "commit", "-q", "-m", msg)
	return run(t, r.work, "git", "rev-parse", "HEAD")
}

func (r *gitRepo) push(t *testing.T) {
	t.Helper()
	run(t, r.work, "git", "push", "-q", "origin", "main")
}

// edit rewrites a file of the working copy, failing when old is not in it.
func (r *gitRepo) edit(t *testing.T, file, old, new string) {
	t.Helper()
	p := filepath.Join(r.work, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fluxScenarios runs the Flux scenarios in order; each depends on the one
// before.
type fluxScenarios struct {
	repo *gitRepo
	apps map[string]*app // by environment
}

const fluxNS = "flux-system"

// kustomization returns a Kustomization's Ready condition and the revision
// it last applied.
func kustomization(ctx context.Context, name string) (ready, reason, message, applied string, err error) {
	k, err := kc.get(ctx, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", fluxNS, name)
	if err != nil {
		return "", "", "", "", err
	}
	conds, _, _ := unstructured.NestedSlice(k.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			ready, reason, message = fmt.Sprint(m["status"]), fmt.Sprint(m["reason"]), fmt.Sprint(m["message"])
		}
	}
	applied, _, _ = unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
	return ready, reason, message, applied, nil
}

// waitKustomizationReady waits until the Kustomization is Ready, having
// applied the commit (any commit when commit is empty). The played
// controllers of the apps given keep reporting meanwhile (a reconcile may
// compose or change something after the XR first turned Ready), and a
// timeout names every XR or claim the Kustomization applied with its
// conditions, so it says which one Flux's health check waits for.
func waitKustomizationReady(ctx context.Context, t *testing.T, name, commit string, timeout time.Duration, play ...*app) {
	t.Helper()
	what := name + " Ready"
	if commit != "" {
		what += " at " + commit[:8]
	}
	if err := cl.waitFor(timeout, what, func() error {
		for _, a := range play {
			var err error
			if a.composed, err = composedRefs(ctx, a); err != nil {
				return err
			}
			reportHealthy(ctx, t, a)
		}
		ready, reason, msg, applied, err := kustomization(ctx, name)
		if err != nil || ready != "True" || !strings.HasSuffix(applied, commit) {
			return fmt.Errorf("%s: Ready=%s %s: %s; applied %s (%v); %s", name, ready, reason, msg, applied, err, appliedComposites(ctx, name))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// appliedComposites lists the XRs and claims in a Kustomization's
// inventory with their generation and conditions.
func appliedComposites(ctx context.Context, name string) string {
	k, err := kc.get(ctx, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", fluxNS, name)
	if err != nil {
		return err.Error()
	}
	entries, _, _ := unstructured.NestedSlice(k.Object, "status", "inventory", "entries")
	var out []string
	for _, e := range entries {
		m, _ := e.(map[string]any)
		// id: <namespace>_<name>_<group>_<kind>; v: the version.
		id := strings.Split(fmt.Sprint(m["id"]), "_")
		if len(id) != 4 || !strings.HasSuffix(id[2], "platform.fullstack.io") {
			continue
		}
		o, err := kc.get(ctx, id[2]+"/"+fmt.Sprint(m["v"]), id[3], id[0], id[1])
		if err != nil {
			out = append(out, fmt.Sprintf("%s %s/%s: %v", id[3], id[0], id[1], err))
			continue
		}
		conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
		var cs []string
		for _, c := range conds {
			c, _ := c.(map[string]any)
			line := fmt.Sprintf("%v=%v (%v, generation %v)", c["type"], c["status"], c["reason"], c["observedGeneration"])
			if msg, _ := c["message"].(string); msg != "" && c["status"] != "True" {
				line += ": " + msg
			}
			cs = append(cs, line)
		}
		out = append(out, fmt.Sprintf("%s %s/%s at generation %d: %s", id[3], id[0], id[1], o.GetGeneration(), strings.Join(cs, ", ")))
	}
	return "applied composites: " + strings.Join(out, "; ")
}

// requestReconcile asks source-controller to fetch the repository now, as
// `flux reconcile source git deploy` does: a merge patch of the annotation
// (an apply would give up the fields the harness applied before).
func requestReconcile(ctx context.Context, t *testing.T) {
	t.Helper()
	r, err := kc.resource("source.toolkit.fluxcd.io/v1", "GitRepository", fluxNS)
	if err != nil {
		t.Fatal(err)
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":%q}}}`, time.Now().UTC().Format(time.RFC3339Nano))
	if _, err := r.Patch(ctx, "deploy", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// fluxApplies commits the example repository, applies the Flux objects and
// follows every environment's Kustomization: progressing while its XR is not
// Ready, Ready only after the XR is.
func (f *fluxScenarios) fluxApplies(ctx context.Context, t *testing.T) {
	f.repo = newGitRepo(t, filepath.Join(cl.work, "gitops"), filepath.Join(env("E2E_REPO"), "example", "gitops"))
	head := run(t, f.repo.work, "git", "rev-parse", "HEAD")
	namespace(ctx, t, fluxNS)
	objs, err := readManifests(filepath.Join(env("E2E_REPO"), "example", "gitops", "flux", "deploy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, o := range objs {
		if o["kind"] == "GitRepository" {
			if err := unstructured.SetNestedField(o, f.repo.url, "spec", "url"); err != nil {
				t.Fatal(err)
			}
		}
		if err := kc.apply(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	waitKustomizationReady(ctx, t, "platform", "", 180*time.Second)

	f.apps = map[string]*app{}
	for env, ns := range map[string]string{"development": "shop-dev", "staging": "shop-staging", "production": "shop-prod"} {
		f.apps[env] = &app{example: "gitops-" + env, namespace: ns, xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
			return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", ns, "shop")
		}}
	}
	// Applied and composed, but nothing reports the database or the
	// ingress yet: each Kustomization waits, progressing.
	for env, a := range f.apps {
		name := "shop-" + env
		waitXR(ctx, t, a, "Synced=True", synced)
		if err := cl.waitFor(120*time.Second, name+" progressing on its health checks", func() error {
			ready, reason, msg, _, err := kustomization(ctx, name)
			if err != nil {
				return err
			}
			if ready != "Unknown" || reason != "Progressing" {
				return fmt.Errorf("%s: Ready=%s %s: %s", name, ready, reason, msg)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if xr, _ := a.xr(ctx); xrReady(xr) == nil {
			t.Fatalf("%s is progressing but its XR is already Ready", name)
		}
	}
	for env, a := range f.apps {
		composed, err := composedRefs(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		a.composed = composed
		reportHealthy(ctx, t, a)
		xr := waitXR(ctx, t, a, "Ready=True", xrReady)
		name := "shop-" + env
		waitKustomizationReady(ctx, t, name, head, 180*time.Second)
		fmt.Printf("e2e: flux: %s Ready %.0fs after the Flux objects were applied (commit %s); XR Ready since %s\n",
			name, time.Since(start).Seconds(), head[:8], readySince(xr))
	}
}

// readySince is when the XR's Ready condition last changed.
func readySince(xr *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(xr.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			return fmt.Sprint(m["lastTransitionTime"])
		}
	}
	return "never"
}

// refusedSpec commits a spec the XRD accepts but the function refuses (the
// API's CPU request above its limit) to staging: the Kustomization applies it and
// reports its health check failed, naming the XR. The revert brings it back
// to Ready.
func (f *fluxScenarios) refusedSpec(ctx context.Context, t *testing.T) {
	file := filepath.Join("apps", "staging", "shop", "kustomization.yaml")
	f.repo.edit(t, file, "        value: staging\n", `        value: staging
      - op: add
        path: /spec/backend/resources
        value:
          requests: {cpu: "2"}
          limits: {cpu: "1"}
`)
	bad := f.repo.commit(t, "staging: more CPU for the API")
	f.repo.push(t)
	start := time.Now()
	requestReconcile(ctx, t)
	if err := cl.waitFor(180*time.Second, "shop-staging to fail its health check", func() error {
		ready, reason, msg, _, err := kustomization(ctx, "shop-staging")
		if err != nil {
			return err
		}
		if ready != "False" || reason != "HealthCheckFailed" || !strings.Contains(msg, "XNodeApp/shop-staging/shop") {
			return fmt.Errorf("shop-staging: Ready=%s %s: %s", ready, reason, msg)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, _, msg, _, _ := kustomization(ctx, "shop-staging")
	fmt.Printf("e2e: flux: shop-staging failed %.0fs after commit %s: %s\n", time.Since(start).Seconds(), bad[:8], msg)
	xr, err := f.apps["staging"].xr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := condition(xr, "Synced"); s != "False" {
		t.Errorf("the refused XR is not Synced=False: %s", conditions(xr))
	}

	run(t, f.repo.work, "git", "revert", "--no-edit", "HEAD")
	good := run(t, f.repo.work, "git", "rev-parse", "HEAD")
	f.repo.push(t)
	requestReconcile(ctx, t)
	waitKustomizationReady(ctx, t, "shop-staging", good, 180*time.Second)
}

// imageThroughGit is day 2 through Git: a commit that gives development a
// new API image reaches the composed Deployment; its revert brings the
// previous image back. (Development runs one replica, so the rollouts on
// kwok stay short.)
func (f *fluxScenarios) imageThroughGit(ctx context.Context, t *testing.T) {
	a := f.apps["development"]
	image := func() (string, error) {
		d, err := kc.get(ctx, "apps/v1", "Deployment", a.namespace, "shop-backend")
		if err != nil {
			return "", err
		}
		cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		if len(cs) == 0 {
			return "", fmt.Errorf("no containers")
		}
		return fmt.Sprint(cs[0].(map[string]any)["image"]), nil
	}
	for _, step := range []struct {
		change func() string
		image  string
	}{
		{func() string {
			f.repo.edit(t, filepath.Join("apps", "development", "shop", "kustomization.yaml"), "        value: development\n", `        value: development
      - op: replace
        path: /spec/backend/image
        value: ghcr.io/acme/shop-api:2.1.0
`)
			return f.repo.commit(t, "development: shop-api 2.1.0")
		}, "ghcr.io/acme/shop-api:2.1.0"},
		{func() string {
			run(t, f.repo.work, "git", "revert", "--no-edit", "HEAD")
			return run(t, f.repo.work, "git", "rev-parse", "HEAD")
		}, "ghcr.io/acme/shop-api:2.0.1"},
	} {
		commit := step.change()
		f.repo.push(t)
		start := time.Now()
		requestReconcile(ctx, t)
		if err := cl.waitFor(180*time.Second, "the backend Deployment to run "+step.image, func() error {
			got, err := image()
			if err != nil || got != step.image {
				return fmt.Errorf("image %s (%v)", got, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		reached := time.Since(start)
		reportHealthy(ctx, t, a)
		waitKustomizationReady(ctx, t, "shop-development", commit, 240*time.Second)
		fmt.Printf("e2e: flux: commit %s: %s in the Deployment after %.0fs, Kustomization Ready after %.0fs\n",
			commit[:8], step.image, reached.Seconds(), time.Since(start).Seconds())
	}
}
