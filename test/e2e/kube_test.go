//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// FieldManager is the server-side apply field manager of the test.
const FieldManager = "function-fullstack-e2e"

// kube is a small dynamic client: apply, get, patch status, delete.
type kube struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKube(cfg *rest.Config) (*kube, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &kube{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// resource returns the client for an object's kind, in its namespace.
func (k *kube) resource(apiVersion, kind, namespace string) (dynamic.ResourceInterface, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	m, err := k.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		// New CRDs appear after the discovery cache was filled.
		k.mapper.Reset()
		if m, err = k.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version); err != nil {
			return nil, err
		}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return k.dyn.Resource(m.Resource).Namespace(namespace), nil
	}
	return k.dyn.Resource(m.Resource), nil
}

func (k *kube) apply(ctx context.Context, obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	r, err := k.resource(u.GetAPIVersion(), u.GetKind(), u.GetNamespace())
	if err != nil {
		return fmt.Errorf("cannot find the API of %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	_, err = r.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("cannot apply %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

func (k *kube) get(ctx context.Context, apiVersion, kind, namespace, name string) (*unstructured.Unstructured, error) {
	r, err := k.resource(apiVersion, kind, namespace)
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, name, metav1.GetOptions{})
}

func (k *kube) delete(ctx context.Context, apiVersion, kind, namespace, name string) error {
	r, err := k.resource(apiVersion, kind, namespace)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	return r.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
}

// update writes the object's metadata and spec back as a controller does
// (an Update under its own field manager): a provider's external name and
// late-initialized fields.
func (k *kube) update(ctx context.Context, u *unstructured.Unstructured, manager string) error {
	r, err := k.resource(u.GetAPIVersion(), u.GetKind(), u.GetNamespace())
	if err != nil {
		return err
	}
	if _, err := r.Update(ctx, u, metav1.UpdateOptions{FieldManager: manager}); err != nil {
		return fmt.Errorf("cannot update %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// patchStatus merges status into the object's status subresource, the way
// the object's controller would.
func (k *kube) patchStatus(ctx context.Context, u *unstructured.Unstructured, status map[string]any) error {
	r, err := k.resource(u.GetAPIVersion(), u.GetKind(), u.GetNamespace())
	if err != nil {
		return err
	}
	b, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	_, err = r.Patch(ctx, u.GetName(), types.MergePatchType, b, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("cannot patch the status of %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// readManifests reads every YAML document of the files, skipping empty ones
// and anything that is not a Kubernetes object.
func readManifests(paths ...string) ([]map[string]any, error) {
	var out []map[string]any
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for _, doc := range bytes.Split(b, []byte("\n---")) {
			m := map[string]any{}
			if err := yaml.Unmarshal(doc, &m); err != nil {
				return nil, fmt.Errorf("cannot parse %s: %w", p, err)
			}
			if m["kind"] == nil || m["apiVersion"] == nil {
				continue
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// condition returns the status and message of a condition.
func condition(u *unstructured.Unstructured, typ string) (string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			msg, _ := m["message"].(string)
			return s, msg
		}
	}
	return "", ""
}

// conditions summarises every condition, for failure messages.
func conditions(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var parts []string
	for _, c := range conds {
		m, _ := c.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v=%v (%v: %v)", m["type"], m["status"], m["reason"], m["message"]))
	}
	return strings.Join(parts, "; ")
}

// startFunction runs the function, and the played
// function-environment-configs, with their server certificate; the package
// manager installs their packages (installPackages).
func (c *cluster) startFunction() error {
	dir, err := c.pki.tlsDir("function")
	if err != nil {
		return err
	}
	c.fnPort, c.fnMetrics, c.ecPort = freePort(), freePort(), freePort()
	c.fnName = "function"
	if err := c.startFunctionProcess(c.fnName); err != nil {
		return err
	}
	// The Compositions' first step: function-environment-configs, played
	// from its source (test/envconfigs), with the same certificate.
	return c.start("function-environment-configs", nil, env("E2E_FUNCTION_ENVCONFIGS"),
		"--tls-certs-dir="+dir, fmt.Sprintf("--address=127.0.0.1:%d", c.ecPort), "--debug")
}

// startFunctionProcess runs the function at c.fnPort with its metrics at
// c.fnMetrics, its log in logs/NAME.log.
func (c *cluster) startFunctionProcess(name string) error {
	dir, err := c.pki.tlsDir("function")
	if err != nil {
		return err
	}
	return c.start(name, nil, env("E2E_FUNCTION"),
		"--tls-certs-dir="+dir,
		fmt.Sprintf("--address=127.0.0.1:%d", c.fnPort),
		fmt.Sprintf("--metrics-address=127.0.0.1:%d", c.fnMetrics),
		"--debug",
	)
}

// restartFunction stops the function and starts it again on the same
// address (as Kubernetes replaces its pod), its log in logs/NAME.log.
func (c *cluster) restartFunction(name string) error {
	c.stopNamed(c.fnName)
	c.fnName = name
	return c.startFunctionProcess(name)
}

// fnLog is the log of the function process that serves the active
// revision.
func (c *cluster) fnLog() string { return filepath.Join(c.work, "logs", c.fnName+".log") }

// install applies the upstream CRDs, installs this project's Configuration
// package (which brings the Function), and waits until the package's XRDs
// serve their APIs and its Compositions exist.
func (c *cluster) install(ctx context.Context) error {
	k, err := newKube(c.rest)
	if err != nil {
		return err
	}
	// The permissions a platform team grants Crossplane for what the
	// function composes (example/install/rbac.yaml), and what the RBAC
	// manager would grant for the providers the e2e plays.
	if err := applyInstallRBAC(ctx, k); err != nil {
		return err
	}
	crds, err := filepath.Glob(filepath.Join(env("E2E_CRDS_DIR"), "*.yaml"))
	if err != nil {
		return err
	}
	objs, err := readManifests(crds...)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := k.apply(ctx, o); err != nil {
			return err
		}
	}
	if err := c.installPackages(ctx); err != nil {
		return err
	}
	// What the package holds, to wait for.
	xrds, _ := filepath.Glob(filepath.Join(env("E2E_REPO"), "configuration", "*", "definition*.yaml"))
	comps, _ := filepath.Glob(filepath.Join(env("E2E_REPO"), "configuration", "*", "composition*.yaml"))
	objs, err = readManifests(append(xrds, comps...)...)
	if err != nil {
		return err
	}
	for _, o := range objs {
		u := &unstructured.Unstructured{Object: o}
		if u.GetKind() == "Composition" {
			if err := c.waitFor(60*time.Second, "Composition "+u.GetName()+" from the package", func() error {
				_, err := k.get(ctx, u.GetAPIVersion(), u.GetKind(), "", u.GetName())
				return err
			}); err != nil {
				return err
			}
			continue
		}
		if err := c.waitFor(120*time.Second, "XRD "+u.GetName()+" to be established", func() error {
			x, err := k.get(ctx, u.GetAPIVersion(), u.GetKind(), "", u.GetName())
			if err != nil {
				return err
			}
			if s, _ := condition(x, "Established"); s != "True" {
				return fmt.Errorf("XRD conditions: %s", conditions(x))
			}
			if _, ok, _ := unstructured.NestedMap(o, "spec", "claimNames"); ok {
				if s, _ := condition(x, "Offered"); s != "True" {
					return fmt.Errorf("XRD conditions: %s", conditions(x))
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	k.mapper.Reset()
	return nil
}
