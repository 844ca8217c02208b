//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// backstage is the real Backstage backend of hack/forms/backstage (catalog,
// scaffolder, Kubernetes, kubernetes-ingestor, terasky-utils,
// crossplane-resources, from the committed lockfile) on a real PostgreSQL,
// reading the e2e's API server as its own least-privilege ServiceAccount.
// The journey drives it only through its REST APIs, as Backstage's
// frontend does.
type backstage struct {
	url   string
	token string
	// checkout is a clone of the deploy repository's main branch that the
	// catalog reads catalog-info.yaml files from: it plays GitHub
	// discovery, which would read them from GitHub.
	checkout string
}

// BackstageNamespace holds Backstage's ServiceAccount.
const BackstageNamespace = "backstage"

// backstageReader is what Backstage may read on the cluster: the XRDs,
// Compositions and CRDs the ingestor turns into templates and APIs, the
// XRs and claims it ingests, and the objects crossplane-resources shows
// under an XR. Nothing is written, and Secrets are not read.
func backstageReader() []map[string]any {
	read := []any{"get", "list", "watch"}
	rule := func(groups []any, resources ...any) map[string]any {
		return map[string]any{"apiGroups": groups, "resources": resources, "verbs": read}
	}
	return []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": BackstageNamespace}},
		{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "backstage", "namespace": BackstageNamespace}},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "backstage-read"},
			"rules": []any{
				rule([]any{"apiextensions.crossplane.io"}, "compositeresourcedefinitions", "compositions"),
				rule([]any{"apiextensions.k8s.io"}, "customresourcedefinitions"),
				rule([]any{"platform.fullstack.io", "legacy.platform.fullstack.io"}, "*"),
				rule([]any{""}, "namespaces", "services", "serviceaccounts", "configmaps", "events", "pods"),
				rule([]any{"apps"}, "deployments", "replicasets"),
				rule([]any{"batch"}, "jobs", "cronjobs"),
				rule([]any{"networking.k8s.io"}, "ingresses", "networkpolicies"),
				rule([]any{"autoscaling"}, "horizontalpodautoscalers"),
				rule([]any{"policy"}, "poddisruptionbudgets"),
				rule([]any{"argoproj.io"}, "rollouts", "analysistemplates", "analysisruns"),
				rule([]any{"postgresql.cnpg.io"}, "clusters"),
				rule([]any{"monitoring.coreos.com"}, "servicemonitors", "podmonitors"),
				rule([]any{"external-secrets.io"}, "externalsecrets"),
			}},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": "backstage-read"},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "backstage-read"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "backstage", "namespace": BackstageNamespace}}},
	}
}

// asPostgres runs a PostgreSQL program as the postgres user when the
// harness runs as root (PostgreSQL refuses to run as root).
func asPostgres(bin string, args ...string) (string, []string) {
	if os.Geteuid() != 0 {
		return bin, args
	}
	return "runuser", append([]string{"-u", "postgres", "--", bin}, args...)
}

// startPostgres runs Debian's PostgreSQL (E2E_PG_BIN) for Backstage on a
// free loopback port, trusting local connections.
func (c *cluster) startPostgres(ctx context.Context) (int, error) {
	dir := filepath.Join(c.work, "postgres")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return 0, fmt.Errorf("PostgreSQL runs as the postgres user, which does not exist: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return 0, err
		}
	}
	bin, args := asPostgres(filepath.Join(env("E2E_PG_BIN"), "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres")
	if err := c.runLogged(ctx, "postgres-initdb", nil, bin, args...); err != nil {
		return 0, err
	}
	port := freePort()
	bin, args = asPostgres(filepath.Join(env("E2E_PG_BIN"), "postgres"), "-D", filepath.Join(dir, "data"), "-k", dir,
		"-h", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := c.start("postgres", nil, bin, args...); err != nil {
		return 0, err
	}
	return port, nil
}

// startBackstage runs the Backstage backend with the app-config a team
// would write for this project (example/backstage/app-config.yaml) plus
// what only the e2e knows: the database, the cluster, its token, where the
// publish step pushes and where the catalog reads the deploy repository.
func (c *cluster) startBackstage(ctx context.Context, bareRepo, checkout string) (*backstage, error) {
	for _, o := range backstageReader() {
		if err := kc.apply(ctx, o); err != nil {
			return nil, err
		}
	}
	token, err := c.serviceAccountToken(ctx, BackstageNamespace, "backstage")
	if err != nil {
		return nil, err
	}
	pg, err := c.startPostgres(ctx)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	b := &backstage{token: hex.EncodeToString(secret), checkout: checkout}
	port := freePort()
	b.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	repo := env("E2E_REPO")
	cfg := map[string]any{
		"app": map[string]any{"baseUrl": "http://127.0.0.1:3000"},
		"backend": map[string]any{
			"baseUrl": b.url,
			"listen":  map[string]any{"host": "127.0.0.1", "port": port},
			"database": map[string]any{"client": "pg", "connection": map[string]any{
				"host": "127.0.0.1", "port": pg, "user": "postgres"}},
			// The harness calls the APIs as a service, with a static token.
			"auth": map[string]any{"externalAccess": []any{map[string]any{
				"type": "static", "options": map[string]any{"token": b.token, "subject": "e2e-journey"}}}},
		},
		// Shorter than a team's cadences, so the journey does not wait on them.
		"catalog": map[string]any{
			"processingInterval": map[string]any{"seconds": 5},
			"locations": []any{
				map[string]any{"type": "file", "target": filepath.Join(repo, "example", "backstage", "template.yaml")},
				map[string]any{"type": "file", "target": filepath.Join(repo, "example", "backstage", "org.yaml")},
				map[string]any{"type": "file", "target": filepath.Join(checkout, "apps", "*", "*", "catalog-info.yaml")},
			},
		},
		"kubernetes": map[string]any{
			"serviceLocatorMethod": map[string]any{"type": "multiTenant"},
			"clusterLocatorMethods": []any{map[string]any{"type": "config", "clusters": []any{map[string]any{
				"name": "e2e", "url": c.rest.Host, "authProvider": "serviceAccount",
				"serviceAccountToken": token, "caFile": c.pki.path("ca.crt"),
			}}}},
		},
		"kubernetesIngestor": map[string]any{
			"components": map[string]any{"taskRunner": map[string]any{"frequency": 5, "timeout": 60}},
			"crossplane": map[string]any{"xrds": map[string]any{"taskRunner": map[string]any{"frequency": 5, "timeout": 60}}},
		},
		"e2e": map[string]any{"publish": map[string]any{"repos": map[string]any{"acme": map[string]any{"deploy": bareRepo}}}},
	}
	dir := filepath.Join(c.work, "backstage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	e2eConfig := filepath.Join(dir, "app-config.e2e.yaml")
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(e2eConfig, out, 0o600); err != nil {
		return nil, err
	}
	// The team's app-config first; the e2e's is merged over it.
	// Backstage finds its package.json (hack/forms) from its working directory.
	if err := c.startIn(filepath.Join(repo, "hack", "forms"), "backstage", nil, "node", filepath.Join(repo, "hack", "forms", "backstage", "backend.cjs"),
		"--config", filepath.Join(repo, "example", "backstage", "app-config.yaml"), "--config", e2eConfig); err != nil {
		return nil, err
	}
	return b, c.waitFor(120*time.Second, "the Backstage backend to serve its catalog", func() error {
		var got struct{ Items []any }
		return b.get(ctx, "/api/catalog/entities/by-query?filter=kind=group&limit=1", &got)
	})
}

func (b *backstage) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer rsp.Body.Close()
	got, err := io.ReadAll(rsp.Body)
	if err != nil {
		return err
	}
	if rsp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, rsp.Status, strings.TrimSpace(string(got)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(got, out)
}

func (b *backstage) get(ctx context.Context, path string, out any) error {
	return b.do(ctx, http.MethodGet, path, nil, out)
}

func (b *backstage) post(ctx context.Context, path string, body, out any) error {
	return b.do(ctx, http.MethodPost, path, body, out)
}

// entity reads one catalog entity; kind, namespace and name as in its ref.
func (b *backstage) entity(ctx context.Context, kind, namespace, name string) (map[string]any, error) {
	var e map[string]any
	err := b.get(ctx, "/api/catalog/entities/by-name/"+url.PathEscape(kind)+"/"+url.PathEscape(namespace)+"/"+url.PathEscape(name), &e)
	return e, err
}

// scaffold runs a template through the scaffolder's REST API, as the
// form's "Create" button does, and waits for the task to finish; it
// returns the task's log.
func (b *backstage) scaffold(ctx context.Context, templateRef string, values map[string]any) ([]string, error) {
	var created struct{ ID string }
	if err := b.post(ctx, "/api/scaffolder/v2/tasks", map[string]any{"templateRef": templateRef, "values": values}, &created); err != nil {
		return nil, err
	}
	var log []string
	err := cl.waitFor(180*time.Second, "scaffolder task "+created.ID, func() error {
		var task struct{ Status string }
		if err := b.get(ctx, "/api/scaffolder/v2/tasks/"+created.ID, &task); err != nil {
			return err
		}
		var events []struct {
			Type string
			Body struct{ Message, Status string }
		}
		if err := b.get(ctx, "/api/scaffolder/v2/tasks/"+created.ID+"/events", &events); err != nil {
			return err
		}
		log = log[:0]
		for _, e := range events {
			log = append(log, strings.TrimSpace(e.Body.Message))
		}
		switch task.Status {
		case "completed":
			return nil
		case "failed", "cancelled":
			return stop(fmt.Errorf("task %s %s:\n  %s", created.ID, task.Status, strings.Join(log, "\n  ")))
		}
		return fmt.Errorf("task %s %s", created.ID, task.Status)
	})
	return log, err
}

// PaymentService is what the journey's developer fills in the golden-path
// form (example/backstage/template.yaml): the payment service of the
// project's seeds, in staging (a canary on Argo Rollouts, a small
// database).
var PaymentService = map[string]any{
	"xrName":      "payment-service",
	"xrNamespace": "payments-staging",
	"description": "Takes card payments for the shop",
	"owner":       "group:default/team-payments",
	"backend":     map[string]any{"image": "ghcr.io/acme/payment-service:1.0.0"},
	"language":    "nodejs",
	"framework":   "express",
	"environment": "staging",
	"database":    map[string]any{"size": "small"},
	"repoUrl":     "github.com?owner=acme&repo=deploy",
}

// goldenPath is the journey the project exists for, in one piece and only
// through the interfaces a person uses: the Backstage backend generates the
// templates from the XRDs on the cluster; the scaffolder's REST API runs
// the golden-path template with the form's values; its pull request lands
// in the deploy repository (merged, as a reviewer would); Flux's real
// controllers apply it; Crossplane and the function compose; Argo Rollouts
// rolls the canary out on kwok pods; the XR and the environment's
// Kustomization turn Ready; the catalog shows the service with its owner,
// and crossplane-resources the XR with what it composed. Each leg is timed.
func (f *fluxScenarios) goldenPath(ctx context.Context, t *testing.T) {
	start := time.Now()
	b, err := cl.startBackstage(ctx, f.repo.bare, f.repo.work)
	if err != nil {
		t.Fatal(err)
	}
	legs := []string{fmt.Sprintf("Backstage backend serving: %s", time.Since(start).Round(time.Second))}
	leg := func(what string, since time.Time) time.Time {
		legs = append(legs, fmt.Sprintf("%s: %s", what, time.Since(since).Round(time.Second)))
		return time.Now()
	}

	// The templates: the golden path from its file, and one per XRD from
	// the ingestor, which reads the XRDs on the cluster; the generated one
	// publishes where the deploy repository keeps apps.
	generated := "xfullstackservices.platform.fullstack.io-v1alpha1"
	var tmpl map[string]any
	if err := cl.waitFor(180*time.Second, "the generated and the golden-path templates in the catalog", func() error {
		if _, err := b.entity(ctx, "template", "default", "create-fullstack-service"); err != nil {
			return err
		}
		tmpl, err = b.entity(ctx, "template", "default", generated)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	steps, _, _ := unstructured.NestedSlice(tmpl, "spec", "steps")
	var target string
	for _, s := range steps {
		if p, ok, _ := unstructured.NestedString(s.(map[string]any), "input", "targetPath"); ok {
			target = p
		}
	}
	if !strings.HasPrefix(target, "apps/") || !strings.Contains(target, "environment") || !strings.Contains(target, "xrName") {
		t.Errorf("the generated template publishes to %q, not apps/<environment>/<name>", target)
	}
	now := leg("templates in the catalog", start)

	// The form is submitted.
	log, err := b.scaffold(ctx, "template:default/create-fullstack-service", PaymentService)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scaffolder task:\n  %s", strings.Join(log, "\n  "))
	run(t, f.repo.work, "git", "pull", "-q", "--ff-only", "origin", "main")
	commit := run(t, f.repo.work, "git", "rev-parse", "HEAD")
	dir := filepath.Join("apps", "staging", "payment-service")
	files := run(t, f.repo.work, "git", "ls-tree", "--name-only", "HEAD", dir+"/")
	t.Logf("the pull request added, merged at %s:\n%s", commit[:8], files)
	now = leg("form submitted -> commit on main", now)

	// Flux applies it.
	requestReconcile(ctx, t)
	a := &app{example: "golden-path", namespace: "payments-staging", xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", "payments-staging", "payment-service")
	}}
	// Until the XR exists, what stops it is in the environment's
	// Kustomization (with the template's seams open, Flux refused
	// catalog-info.yaml: no kind Component on the cluster).
	if err := cl.waitFor(180*time.Second, "the golden-path XR created by Flux and Synced", func() error {
		x, err := a.xr(ctx)
		if err != nil {
			_, reason, msg, applied, kerr := kustomization(ctx, "shop-staging")
			return fmt.Errorf("%w; Kustomization shop-staging: %s %s (applied %s) %v", err, reason, msg, applied, kerr)
		}
		return synced(x)
	}); err != nil {
		t.Fatal(err)
	}
	now = leg("commit -> XR applied by Flux and Synced", now)

	// The played controllers report; the real ones roll out.
	reportUntilReady(ctx, t, a, "Ready=True")
	now = leg("XR applied -> XR Ready", now)
	waitKustomizationReady(ctx, t, "shop-staging", commit, 180*time.Second, a)
	now = leg("XR Ready -> Kustomization shop-staging Ready", now)
	// What Flux applied from the app's directory: what its
	// kustomization.yaml lists, not catalog-info.yaml.
	k, err := kc.get(ctx, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", fluxNS, "shop-staging")
	if err != nil {
		t.Fatal(err)
	}
	entries, _, _ := unstructured.NestedSlice(k.Object, "status", "inventory", "entries")
	applied := map[string]bool{}
	for _, e := range entries {
		id := fmt.Sprint(e.(map[string]any)["id"])
		applied[id] = true
		if strings.Contains(id, "backstage.io") {
			t.Errorf("Flux applied %s: catalog-info.yaml is Backstage's", id)
		}
	}
	for _, id := range []string{"_payments-staging__Namespace", "payments-staging_payment-service_platform.fullstack.io_XFullStackService"} {
		if !applied[id] {
			t.Errorf("Flux's shop-staging inventory has no %s: %v", id, entries)
		}
	}

	// The catalog: the service's Component from its catalog-info.yaml, and
	// the XR's from the ingestor, both owned by the team the form named.
	owner := fmt.Sprint(PaymentService["owner"])
	var service, xrEntity map[string]any
	if err := cl.waitFor(240*time.Second, "the payment service in the catalog", func() error {
		var err error
		if service, err = b.entity(ctx, "component", "default", "payment-service"); err != nil {
			return err
		}
		xrEntity, err = b.entity(ctx, "component", "payments-staging", "payment-service")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]map[string]any{"catalog-info.yaml": service, "ingestor": xrEntity} {
		if got, _, _ := unstructured.NestedString(e, "spec", "owner"); got != owner {
			t.Errorf("the %s Component's owner is %q, want %q", name, got, owner)
		}
	}
	// The XR's entity is this XR's, not one of the same name elsewhere.
	if got, _, _ := unstructured.NestedString(xrEntity, "metadata", "annotations", "backstage.io/kubernetes-namespace"); got != "payments-staging" {
		t.Errorf("component:payments-staging/payment-service shows the XR of namespace %q", got)
	}
	now = leg("Kustomization Ready -> both Components in the catalog", now)
	ann, _, _ := unstructured.NestedStringMap(xrEntity, "metadata", "annotations")
	t.Logf("catalog: component:default/payment-service (from catalog-info.yaml) and component:payments-staging/payment-service (the ingestor's: type %v, owner %s, kubernetes-namespace %s)",
		xrEntity["spec"].(map[string]any)["type"], owner, ann["backstage.io/kubernetes-namespace"])

	// crossplane-resources: the XR and everything it composed, with their
	// conditions, read from the cluster by Backstage's ServiceAccount.
	q := url.Values{"clusterName": {"e2e"}, "namespace": {"payments-staging"}, "name": {"payment-service"},
		"group": {"platform.fullstack.io"}, "version": {"v1alpha1"}, "plural": {"xfullstackservices"}, "scope": {"Namespaced"}}
	var graph struct {
		Resources []map[string]any
	}
	if err := b.get(ctx, "/api/crossplane/v2/graph?"+q.Encode(), &graph); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var lines []string
	for _, r := range graph.Resources {
		u := &unstructured.Unstructured{Object: r}
		seen[u.GetKind()+"/"+u.GetName()] = true
		ready, _ := condition(u, "Ready")
		lines = append(lines, fmt.Sprintf("%s/%s Ready=%s", u.GetKind(), u.GetName(), ready))
	}
	for _, r := range a.composed {
		switch {
		case r.kind == "Secret" && seen[r.kind+"/"+r.name]:
			t.Errorf("crossplane-resources shows %s, which Backstage's ServiceAccount may not read", r)
		case r.kind != "Secret" && !seen[r.kind+"/"+r.name]:
			t.Errorf("crossplane-resources does not show %s", r)
		}
	}
	if !seen["XFullStackService/payment-service"] {
		t.Errorf("crossplane-resources does not show the XR")
	}
	t.Logf("crossplane-resources v2/graph: %d resources:\n  %s", len(graph.Resources), strings.Join(lines, "\n  "))

	// The template the ingestor generated from the XRD: a second service of
	// the team in the same namespace, with the form's own fields; it writes
	// the XR and a kustomization.yaml (no Namespace) where the XRD's
	// target-path says, and Flux applies it with no other edit.
	ledger := map[string]any{
		"xrName": "payment-ledger", "xrNamespace": "payments-staging", "owner": owner,
		"environment": "staging", "language": "go", "framework": "gin",
		"backend":   map[string]any{"image": "ghcr.io/acme/payment-ledger:0.1.0"},
		"pushToGit": true,
	}
	if log, err = b.scaffold(ctx, "template:default/"+generated, ledger); err != nil {
		t.Fatal(err)
	}
	t.Logf("scaffolder task (generated template):\n  %s", strings.Join(log, "\n  "))
	run(t, f.repo.work, "git", "pull", "-q", "--ff-only", "origin", "main")
	commit = run(t, f.repo.work, "git", "rev-parse", "HEAD")
	files = run(t, f.repo.work, "git", "ls-tree", "--name-only", "HEAD", filepath.Join("apps", "staging", "payment-ledger")+"/")
	t.Logf("the generated template's pull request added, merged at %s:\n%s", commit[:8], files)
	now = leg("generated template submitted -> commit on main", now)
	requestReconcile(ctx, t)
	l := &app{example: "golden-path-generated", namespace: "payments-staging", xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", "payments-staging", "payment-ledger")
	}}
	waitXR(ctx, t, l, "created by Flux and Synced", synced)
	reportUntilReady(ctx, t, l, "Ready=True")
	waitKustomizationReady(ctx, t, "shop-staging", commit, 180*time.Second, l)
	now = leg("commit -> payment-ledger Ready, shop-staging Ready", now)
	if err := cl.waitFor(240*time.Second, "payment-ledger in the catalog", func() error {
		e, err := b.entity(ctx, "component", "payments-staging", "payment-ledger")
		if err != nil {
			return err
		}
		if got, _, _ := unstructured.NestedString(e, "spec", "owner"); got != owner {
			return stop(fmt.Errorf("payment-ledger's owner is %q, want %q", got, owner))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	leg("payment-ledger in the catalog", now)
	fmt.Printf("e2e: golden path legs:\n  %s\n", strings.Join(legs, "\n  "))
}

// goldenPathDay2 takes the payment service through day 2 on the same path:
// the commit the TeraSky day-2 updater makes in the app's directory (the
// manifest rewritten with the form's new values: storage 25Gi, a new image
// with a migration) is merged; Flux applies it; the same database is grown
// (same UID), the migration Job runs on the real Job controller, the
// canary walks its steps on Argo Rollouts (promoted through its pauses, as
// `kubectl argo rollouts promote` does) and everything is Ready again.
func (f *fluxScenarios) goldenPathDay2(ctx context.Context, t *testing.T) {
	a := &app{example: "golden-path", namespace: "payments-staging", xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", "payments-staging", "payment-service")
	}}
	db := func() *unstructured.Unstructured {
		c, err := kc.get(ctx, "postgresql.cnpg.io/v1", "Cluster", a.namespace, "payment-service-db")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before := db()
	size, _, _ := unstructured.NestedString(before.Object, "spec", "storage", "size")

	start := time.Now()
	file := filepath.Join("apps", "staging", "payment-service", "payment-service.yaml")
	run(t, f.repo.work, "git", "pull", "-q", "--ff-only", "origin", "main")
	raw, err := os.ReadFile(filepath.Join(f.repo.work, file))
	if err != nil {
		t.Fatal(err)
	}
	xr := map[string]any{}
	if err := yaml.Unmarshal(raw, &xr); err != nil {
		t.Fatal(err)
	}
	const image = "ghcr.io/acme/payment-service:1.1.0"
	spec := specOf(xr)
	spec["backend"].(map[string]any)["image"] = image
	spec["database"].(map[string]any)["storage"] = "25Gi"
	spec["database"].(map[string]any)["migration"] = map[string]any{"command": []any{"npm", "run", "migrate"}}
	out, err := yaml.Marshal(xr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.repo.work, file), out, 0o600); err != nil {
		t.Fatal(err)
	}
	commit := f.repo.commit(t, "Update XFullStackService payment-service: storage 25Gi, image 1.1.0 with its migration")
	f.repo.push(t)
	requestReconcile(ctx, t)

	// The same Cluster, grown.
	if err := cl.waitFor(180*time.Second, "the database grown to 25Gi", func() error {
		c := db()
		if c.GetUID() != before.GetUID() {
			return stop(fmt.Errorf("the Cluster was replaced: uid %s became %s", before.GetUID(), c.GetUID()))
		}
		if got, _, _ := unstructured.NestedString(c.Object, "spec", "storage", "size"); got != "25Gi" {
			return fmt.Errorf("Cluster storage %s", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("Cluster payment-service-db grown %s -> 25Gi in place (uid %s) %s after the commit", size, before.GetUID(), time.Since(start).Round(time.Second))

	// The migration, then the canary. The Job is composed until the
	// workload takes the image: the function drops it on the reconcile
	// after it succeeds, so a Job seen running and then the Rollout at the
	// image (with the image among its migrated ones) say it succeeded.
	var job string
	if err := cl.waitFor(180*time.Second, "the migration Job of "+image, func() error {
		jobs, err := migrationJobs(ctx, a.namespace)
		if err != nil {
			return err
		}
		for i := range jobs {
			if jobContainer(jobs[i])["image"] == image {
				job = jobs[i].GetName()
				return nil
			}
		}
		return fmt.Errorf("%d migration Jobs, none with %s", len(jobs), image)
	}); err != nil {
		t.Fatal(err)
	}
	if err := cl.waitFor(180*time.Second, "the migration Job "+job+" to succeed and the Rollout to take "+image, func() error {
		ro, err := kc.get(ctx, "argoproj.io/v1alpha1", "Rollout", a.namespace, "payment-service")
		if err != nil {
			return err
		}
		cs, _, _ := unstructured.NestedSlice(ro.Object, "spec", "template", "spec", "containers")
		migrated := strings.Fields(ro.GetAnnotations()["fullstack.io/migrated-images"])
		if len(cs) == 0 || cs[0].(map[string]any)["image"] != image || !slices.Contains(migrated, image) {
			jobs, _ := migrationJobs(ctx, a.namespace)
			state := "gone"
			for i := range jobs {
				if jobs[i].GetName() == job {
					state = jobConditions(&jobs[i])
				}
			}
			return fmt.Errorf("the Rollout's template is not at %s with it migrated (migrated: %v); Job %s: %s", image, migrated, job, state)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("migration Job %s succeeded and the Rollout took %s %s after the commit", job, image, time.Since(start).Round(time.Second))
	walked := walkCanary(ctx, t, a.namespace, "payment-service", image, 300*time.Second, nil)
	t.Logf("the canary walked %s", strings.Join(walked, " -> "))
	reportUntilReady(ctx, t, a, "Ready=True again")
	waitKustomizationReady(ctx, t, "shop-staging", commit, 180*time.Second, a)
	fmt.Printf("e2e: golden path day 2: commit -> grown, migrated, canary walked, XR and Kustomization Ready in %s\n", time.Since(start).Round(time.Second))
}

// reportUntilReady plays the controllers of what the XR composed (the
// real ones run Deployments, Rollouts and Jobs) until the XR is Ready,
// listing its composed resources again each round, since an XR may compose
// in stages; then it waits for Ready.
func reportUntilReady(ctx context.Context, t *testing.T, a *app, what string) {
	t.Helper()
	for round := 0; round < 5; round++ {
		var err error
		if a.composed, err = composedRefs(ctx, a); err != nil {
			t.Fatal(err)
		}
		reportHealthy(ctx, t, a)
		if x, err := a.xr(ctx); err == nil && xrReady(x) == nil {
			break
		}
		time.Sleep(3 * time.Second)
	}
	waitXR(ctx, t, a, what, xrReady)
}
