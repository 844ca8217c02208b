//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// CrossplaneNamespace is where the chart installs Crossplane.
const CrossplaneNamespace = "crossplane-system"

// chartProcess is one of the chart's Deployments as the e2e runs it: the
// ServiceAccount it runs as and the args of its init and main containers.
type chartProcess struct {
	serviceAccount string
	initArgs, args []string
	env            []string
}

// applyChartRBAC applies what Crossplane's Helm chart renders for its
// permissions (E2E_CROSSPLANE_CHART, `helm template` of the core module's
// cluster/charts/crossplane at the pinned version): ServiceAccounts,
// ClusterRoles, ClusterRoleBindings, Roles and RoleBindings. It returns the
// chart's Deployments (crossplane and crossplane-rbac-manager) by name, to
// be run as processes with the same ServiceAccounts and args.
func applyChartRBAC(ctx context.Context, k *kube) (map[string]chartProcess, error) {
	objs, err := readManifests(env("E2E_CROSSPLANE_CHART"))
	if err != nil {
		return nil, err
	}
	procs := map[string]chartProcess{}
	for _, o := range objs {
		u := &unstructured.Unstructured{Object: o}
		switch u.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			if err := k.apply(ctx, o); err != nil {
				return nil, fmt.Errorf("chart %s %s: %w", u.GetKind(), u.GetName(), err)
			}
		case "Deployment":
			p := chartProcess{}
			p.serviceAccount, _, _ = unstructured.NestedString(o, "spec", "template", "spec", "serviceAccountName")
			inits, _, _ := unstructured.NestedSlice(o, "spec", "template", "spec", "initContainers")
			if len(inits) > 0 {
				p.initArgs, _, _ = unstructured.NestedStringSlice(inits[0].(map[string]any), "args")
			}
			ctrs, _, _ := unstructured.NestedSlice(o, "spec", "template", "spec", "containers")
			if len(ctrs) == 0 {
				return nil, fmt.Errorf("chart Deployment %s has no container", u.GetName())
			}
			ctr := ctrs[0].(map[string]any)
			p.args, _, _ = unstructured.NestedStringSlice(ctr, "args")
			envs, _, _ := unstructured.NestedSlice(ctr, "env")
			for _, e := range envs {
				e := e.(map[string]any)
				name, _ := e["name"].(string)
				if v, ok := e["value"].(string); ok && !strings.HasPrefix(name, "TLS_") {
					// The TLS directories are the Pod's mounts; the e2e
					// passes its own.
					p.env = append(p.env, name+"="+v)
				}
				if fp, _, _ := unstructured.NestedString(e, "valueFrom", "fieldRef", "fieldPath"); fp != "" {
					switch fp {
					case "metadata.namespace":
						p.env = append(p.env, name+"="+CrossplaneNamespace)
					case "spec.serviceAccountName":
						p.env = append(p.env, name+"="+p.serviceAccount)
					}
				}
			}
			procs[u.GetName()] = p
		}
	}
	for _, name := range []string{"crossplane", "crossplane-rbac-manager"} {
		if _, ok := procs[name]; !ok {
			return nil, fmt.Errorf("the rendered chart has no Deployment %s", name)
		}
	}
	return procs, nil
}

// playedProviderRBAC stands in for the ClusterRole Crossplane's RBAC
// manager renders for each installed provider revision (crossplane
// v2.4.0 internal/controller/rbac/provider/roles/roles.go: an
// aggregate-to-edit role with every verb on the provider's CRDs, labelled
// to aggregate to Crossplane): the e2e applies the providers' CRDs from
// ../shared/crds instead of installing provider packages, so it grants the
// same on the CRDs of the providers it plays.
func playedProviderRBAC() (map[string]any, error) {
	crds, err := filepath.Glob(filepath.Join(env("E2E_CRDS_DIR"), "*.upbound.io_*.yaml"))
	if err != nil {
		return nil, err
	}
	objs, err := readManifests(crds...)
	if err != nil {
		return nil, err
	}
	byGroup := map[string][]string{}
	for _, o := range objs {
		g, _, _ := unstructured.NestedString(o, "spec", "group")
		plural, _, _ := unstructured.NestedString(o, "spec", "names", "plural")
		byGroup[g] = append(byGroup[g], plural, plural+"/status")
	}
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	rules := make([]any, 0, len(groups)+1)
	for _, g := range groups {
		res := byGroup[g]
		slices.Sort(res)
		rules = append(rules, map[string]any{"apiGroups": []any{g}, "resources": toAny(res), "verbs": []any{"*"}})
	}
	rules = append(rules, map[string]any{"apiGroups": toAny(groups), "resources": []any{"*/finalizers"}, "verbs": []any{"update"}})
	return map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{
			"name": "crossplane:provider:e2e-played-providers:aggregate-to-edit",
			"labels": map[string]any{
				"rbac.crossplane.io/aggregate-to-crossplane": "true",
				"rbac.crossplane.io/aggregate-to-edit":       "true",
				"rbac.crossplane.io/aggregate-to-admin":      "true",
			},
		},
		"rules": rules,
	}, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as a
// ServiceAccount with a token from the TokenRequest API, as a Pod running
// as it would.
func (c *cluster) serviceAccountKubeconfig(ctx context.Context, namespace, name string) (string, error) {
	token, err := c.serviceAccountToken(ctx, namespace, name)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.work, "kubeconfig-"+name)
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: %s, user: {token: %q}}]
contexts: [{name: e2e, context: {cluster: e2e, user: %s, namespace: %s}}]
current-context: e2e
`, c.rest.Host, c.pki.path("ca.crt"), name, token, name, namespace)
	return path, os.WriteFile(path, []byte(kc), 0o600)
}

// serviceAccountToken returns a token for a ServiceAccount from the
// TokenRequest API, as a Pod running as it gets one.
func (c *cluster) serviceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	dyn, err := dynamic.NewForConfig(c.rest)
	if err != nil {
		return "", err
	}
	req := map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		// The dynamic client takes the ServiceAccount's name from here.
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"spec":     map[string]any{"expirationSeconds": int64(48 * 3600)}}
	got, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}).Namespace(namespace).
		Create(ctx, &unstructured.Unstructured{Object: req}, metav1.CreateOptions{}, "token")
	if err != nil {
		return "", fmt.Errorf("token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	var tr authenticationv1.TokenRequest
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(got.Object, &tr); err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// InstallRBAC is the file a platform team applies for the function.
const InstallRBAC = "example/install/rbac.yaml"

// applyInstallRBAC applies example/install/rbac.yaml and the played
// providers' aggregate-to-edit role.
func applyInstallRBAC(ctx context.Context, k *kube) error {
	objs, err := readManifests(filepath.Join(env("E2E_REPO"), InstallRBAC))
	if err != nil {
		return err
	}
	played, err := playedProviderRBAC()
	if err != nil {
		return err
	}
	for _, o := range append(objs, played) {
		if err := k.apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// FunctionClusterRole is the ClusterRole example/install/rbac.yaml ships.
const FunctionClusterRole = "crossplane:composite:function-fullstack"

// withoutInstallRBAC shows what a platform team sees when Crossplane runs
// with its chart's RBAC only: the function's ClusterRole is deleted (and
// the aggregation controller takes its rules out of Crossplane's role), an
// XNodeApp is created, and the XR reports the API server's "forbidden".
// Applying example/install/rbac.yaml again lets the same XR compose.
func withoutInstallRBAC(ctx context.Context, t *testing.T) {
	const ns = "rbac-check"
	t.Cleanup(func() {
		if err := applyInstallRBAC(ctx, kc); err != nil {
			t.Errorf("restoring %s: %v", InstallRBAC, err)
		}
	})
	if err := kc.delete(ctx, "rbac.authorization.k8s.io/v1", "ClusterRole", "", FunctionClusterRole); err != nil {
		t.Fatal(err)
	}
	grants := func(group string) (bool, error) {
		role, err := kc.get(ctx, "rbac.authorization.k8s.io/v1", "ClusterRole", "", "crossplane")
		if err != nil {
			return false, err
		}
		rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
		for _, r := range rules {
			groups, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "apiGroups")
			if slices.Contains(groups, group) {
				return true, nil
			}
		}
		return false, nil
	}
	if err := cl.waitFor(60*time.Second, "the crossplane ClusterRole to lose networking.k8s.io", func() error {
		if on, err := grants("networking.k8s.io"); err != nil || on {
			return fmt.Errorf("still granted (%v)", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	namespace(ctx, t, ns)
	xr := manifest(t, "xnodeapp", "xr.yaml")
	meta := xr["metadata"].(map[string]any)
	meta["name"], meta["namespace"] = ns, ns
	start := time.Now()
	if err := kc.apply(ctx, xr); err != nil {
		t.Fatal(err)
	}
	a := &app{example: "xnodeapp", namespace: ns, xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", ns, ns)
	}}
	// The API server's refusal reaches the XR as a Warning event (kubectl
	// describe, crossplane beta trace); its Synced condition carries the
	// latest error, which is the refusal or, for a kind Crossplane may not
	// list, the informer that cannot sync.
	var events string
	got := waitXR(ctx, t, a, "Synced=False with a forbidden Warning event", func(x *unstructured.Unstructured) error {
		events = warnings(ctx, x)
		if s, _ := condition(x, "Synced"); s != "False" || !strings.Contains(events, "forbidden") {
			return fmt.Errorf("XR conditions: %s; Warning events:\n%s", conditions(x), events)
		}
		return nil
	})
	_, msg := condition(got, "Synced")
	t.Logf("after %s without %s the XR says Synced=False: %s\nand its Warning events:\n%s", time.Since(start).Round(time.Second), InstallRBAC, msg, events)
	start = time.Now()
	if err := applyInstallRBAC(ctx, kc); err != nil {
		t.Fatal(err)
	}
	waitXR(ctx, t, a, "Synced=True once rbac.yaml is applied", synced)
	t.Logf("with %s applied again the same XR syncs after %s, with no other change", InstallRBAC, time.Since(start).Round(time.Second))
	if err := kc.delete(ctx, "platform.fullstack.io/v1alpha1", "XNodeApp", ns, ns); err != nil {
		t.Fatal(err)
	}
}
