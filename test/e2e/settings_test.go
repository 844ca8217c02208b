//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SettingsLabel selects a second EnvironmentConfig for one XR (the
// Configuration's Compositions, first step).
const SettingsLabel = "platform.fullstack.io/settings"

// ingressHost returns the first rule's host of an Ingress.
func ingressHost(ctx context.Context, namespace, name string) (string, error) {
	ing, err := kc.get(ctx, "networking.k8s.io/v1", "Ingress", namespace, name)
	if err != nil {
		return "", err
	}
	rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
	if len(rules) == 0 {
		return "", fmt.Errorf("Ingress %s/%s has no rules", namespace, name)
	}
	h, _ := rules[0].(map[string]any)["host"].(string)
	return h, nil
}

// platformSettings shows the platform's settings coming from
// EnvironmentConfigs through the Configuration's first step
// (function-environment-configs, played): the XRs that name no host are
// served at <name>.<domain> of fullstack-platform
// (example/install/environmentconfig.yaml); labelling one XR
// platform.fullstack.io/settings=eu merges fullstack-eu
// (example/install/environmentconfig-eu.yaml) over it, and only that XR
// moves to its domain; a label no EnvironmentConfig carries is refused on
// the XR with the function's words and changes nothing; removing the label
// brings the platform's domain back.
func platformSettings(ctx context.Context, t *testing.T, dev, other *app, devObj map[string]any) {
	host := func(a *app) string {
		h, err := ingressHost(ctx, a.namespace, a.namespace)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	want := map[*app]string{dev: "notes.apps.example.com", other: "paygate.apps.example.com"}
	for a, h := range want {
		if got := host(a); got != h {
			t.Fatalf("%s is served at %q, want %q (fullstack-platform's domain)", a.example, got, h)
		}
	}
	label := func(value string) {
		o := (&unstructured.Unstructured{Object: devObj}).DeepCopy()
		if value != "" {
			o.SetLabels(map[string]string{SettingsLabel: value})
		}
		if err := kc.apply(ctx, o.Object); err != nil {
			t.Fatal(err)
		}
	}
	served := func(h string) {
		waitXR(ctx, t, dev, "its Ingress at "+h, func(xr *unstructured.Unstructured) error {
			got, err := ingressHost(ctx, dev.namespace, dev.namespace)
			if err != nil {
				return err
			}
			if got != h {
				return fmt.Errorf("Ingress host %q; XR conditions: %s", got, conditions(xr))
			}
			return xrReady(xr)
		})
	}

	start := time.Now()
	label("eu")
	served("notes.eu.apps.example.com")
	t.Logf("labelled %s=eu: notes served at notes.eu.apps.example.com after %s", SettingsLabel, time.Since(start).Round(time.Second))
	if got := host(other); got != want[other] {
		t.Errorf("the unlabelled %s moved to %q, want %q", other.example, got, want[other])
	}

	label("nowhere")
	xr := waitXR(ctx, t, dev, "Synced=False naming the missing EnvironmentConfig", func(xr *unstructured.Unstructured) error {
		s, msg := condition(xr, "Synced")
		if s != "False" || !strings.Contains(msg, "expected exactly one required resource, got 0") {
			return fmt.Errorf("XR conditions: %s", conditions(xr))
		}
		return nil
	})
	_, msg := condition(xr, "Synced")
	t.Logf("a label no EnvironmentConfig carries: %s", msg)
	// Give Crossplane time to (wrongly) apply anything, then compare.
	time.Sleep(5 * time.Second)
	if got := host(dev); got != "notes.eu.apps.example.com" {
		t.Errorf("a refused pipeline changed the Ingress host to %q", got)
	}

	label("")
	served(want[dev])
}
