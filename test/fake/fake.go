// Package fake plays, for tests, the programs that act on what the function
// composes where the real ones cannot run: the API server's server-side
// apply (for the unit tests' stand-in API server), the Deployment
// controller, Argo Rollouts, CloudNativePG, the Upbound providers and an
// ingress controller. The unit tests (between RunFunction calls) and the e2e
// (status patches on a real API server) use these same functions, so both
// play the controllers the same way.
//
// Every function takes and returns plain objects (map[string]any) as they
// come from JSON, a protobuf Struct or the dynamic client: numbers may be
// int64 or float64.
package fake

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/composite"
)

// Report returns what the controller of obj reports once obj is healthy:
// its status, and the objects the controller creates beside it
// (CloudNativePG's app Secret, the Secret a provider generates a password
// into). ok is false for kinds no controller reports on (Services, Secrets,
// HorizontalPodAutoscalers...).
func Report(obj map[string]any, now time.Time) (status map[string]any, created []map[string]any, ok bool) {
	u := &unstructured.Unstructured{Object: obj}
	switch u.GetKind() {
	case "Deployment":
		return Deployment(obj, now), nil, true
	case "Rollout":
		return Rollout(obj), nil, true
	case "Cluster":
		status, secret := CNPGCluster(obj, now)
		return status, []map[string]any{secret}, true
	case "Ingress":
		return Ingress(), nil, true
	case "Job":
		return Job(now), nil, true
	case "ExternalSecret":
		status, secret := ExternalSecret(obj, now)
		return status, []map[string]any{secret}, true
	case "Instance", "DatabaseInstance", "Database", "User", "FlexibleServer", "FlexibleServerDatabase":
		status, secret := Managed(obj, now)
		if secret != nil {
			created = []map[string]any{secret}
		}
		return status, created, true
	}
	return nil, nil, false
}

// replicas is spec.replicas, or the API server's default of 1.
func replicas(obj map[string]any) int64 {
	if n, ok := Num(obj, "spec", "replicas"); ok {
		return n
	}
	return 1
}

// Deployment is the status the Deployment controller reports once every
// replica of the latest spec is available.
func Deployment(obj map[string]any, now time.Time) map[string]any {
	n := replicas(obj)
	g, _ := Num(obj, "metadata", "generation")
	ts := now.UTC().Format(time.RFC3339)
	return map[string]any{
		"observedGeneration": g, "replicas": n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
		"conditions": []any{map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastTransitionTime": ts, "lastUpdateTime": ts}},
	}
}

// Job is the status the Job controller reports once a Job's pod has
// succeeded.
func Job(now time.Time) map[string]any {
	ts := now.UTC().Format(time.RFC3339)
	return map[string]any{
		"succeeded": int64(1), "startTime": ts, "completionTime": ts,
		"conditions": []any{
			map[string]any{"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": ts},
			map[string]any{"type": "Complete", "status": "True", "lastTransitionTime": ts},
		},
	}
}

// Rollout is the status Argo Rollouts reports for a Rollout whose latest
// spec is fully rolled out; its observedGeneration is a string.
func Rollout(obj map[string]any) map[string]any {
	n := replicas(obj)
	g, _ := Num(obj, "metadata", "generation")
	return map[string]any{
		"observedGeneration": strconv.FormatInt(g, 10), "phase": "Healthy",
		"replicas": n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
	}
}

// PodHash is the rollouts-pod-template-hash a fake Rollout's pods carry.
const PodHash = "5f7d9c8b6a"

// RolloutServices are the Services a Rollout points at its pods (stable and
// canary, or active and preview); Argo Rollouts adds the pod-hash selector
// to each.
func RolloutServices(rollout map[string]any) []string {
	var out []string
	for _, p := range [][]string{
		{"canary", "stableService"}, {"canary", "canaryService"},
		{"blueGreen", "activeService"}, {"blueGreen", "previewService"},
	} {
		if s, _, _ := unstructured.NestedString(rollout, "spec", "strategy", p[0], p[1]); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// PointService adds the pod-hash selector to a Service, as Argo Rollouts
// does to the Services its Rollout manages.
func PointService(svc map[string]any) {
	if err := unstructured.SetNestedField(svc, PodHash, "spec", "selector", composite.RolloutHashLabel); err != nil {
		panic(err)
	}
}

// ReleaseService removes the pod-hash selector, as Argo Rollouts does when
// no Rollout manages the Service any more.
func ReleaseService(svc map[string]any) {
	unstructured.RemoveNestedField(svc, "spec", "selector", composite.RolloutHashLabel)
}

// CNPGCluster is the status CloudNativePG reports for a healthy Cluster,
// and the app Secret it writes the application role's credentials to.
func CNPGCluster(obj map[string]any, now time.Time) (status, appSecret map[string]any) {
	u := &unstructured.Unstructured{Object: obj}
	instances, _ := Num(obj, "spec", "instances")
	status = map[string]any{
		"phase": "Cluster in healthy state", "instances": instances, "readyInstances": instances,
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "ClusterIsReady", "message": "Cluster is Ready",
			"lastTransitionTime": now.UTC().Format(time.RFC3339)}},
	}
	owner, _, _ := unstructured.NestedString(obj, "spec", "bootstrap", "initdb", "owner")
	appSecret = Secret(u.GetNamespace(), u.GetName()+"-app", map[string]string{
		"username": owner, "password": "fake-cnpg-generated-password", "host": u.GetName() + "-rw", "port": "5432",
	})
	return status, appSecret
}

// Managed is the status an Upbound provider reports for a database managed
// resource after one reconcile (Provider): Synced and Ready with its
// Terraform state in atProvider, or Synced=False with the error Terraform or
// the cloud refused the spec with. Where the resource asks for a generated
// password, the Secret the provider writes it to comes back too (else nil).
func Managed(obj map[string]any, now time.Time) (status, passwordSecret map[string]any) {
	played, refused := Provider(obj)
	ts := now.UTC().Format(time.RFC3339)
	if refused != "" {
		status = map[string]any{"conditions": []any{
			map[string]any{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": refused, "lastTransitionTime": ts},
			map[string]any{"type": "Ready", "status": "False", "reason": "Creating", "lastTransitionTime": ts},
		}}
		if at, ok, _ := unstructured.NestedMap(obj, "status", "atProvider"); ok {
			status["atProvider"] = at
		}
		return status, nil
	}
	status = map[string]any{"conditions": []any{
		map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": ts},
		map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": ts},
	}}
	if at, ok, _ := unstructured.NestedMap(played, "status", "atProvider"); ok {
		status["atProvider"] = at
	}
	u := &unstructured.Unstructured{Object: obj}
	generated := ""
	switch u.GetKind() {
	case "Instance":
		generated = "passwordSecretRef"
	case "FlexibleServer":
		generated = "administratorPasswordSecretRef"
	}
	if generated == "" {
		return status, nil
	}
	ref, _, _ := unstructured.NestedStringMap(obj, "spec", "forProvider", generated)
	ns := ref["namespace"]
	if ns == "" {
		ns = u.GetNamespace()
	}
	return status, Secret(ns, ref["name"], map[string]string{ref["key"]: "fake-provider-generated-password"})
}

// Ingress is the status an ingress controller reports once it serves the
// Ingress.
func Ingress() map[string]any {
	return map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "203.0.113.10"}}}}
}

// Secret is an Opaque Secret with string data, as a controller writes it.
func Secret(namespace, name string, data map[string]string) map[string]any {
	sd := map[string]any{}
	for k, v := range data {
		sd[k] = v
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"stringData": sd,
	}
}

// Apply is what the API server stores when Crossplane applies desired over
// the stored object old (nil when it does not exist) with server-side apply
// and forced ownership: desired's fields win; status stays (it belongs to
// the controller); a field another manager set stays while desired leaves it
// out (a Service's clusterIP, a selector Argo Rollouts changed), but an
// atomic map desired names (a Service's selector) is replaced whole, taking
// away keys another manager added; generation starts at 1 and grows with
// every change of spec.
func Apply(old, desired map[string]any) map[string]any {
	want := deepCopy(desired)
	if old == nil {
		mustSet(want, int64(1), "metadata", "generation")
		return deepCopy(want)
	}
	obj := deepCopy(old)
	g, _ := Num(obj, "metadata", "generation")
	spec := mergeSpec(obj["spec"], want["spec"])
	if !reflect.DeepEqual(obj["spec"], spec) {
		g++
	}
	obj["spec"] = spec
	obj["metadata"] = mergeMetadata(obj["metadata"], want["metadata"])
	mustSet(obj, g, "metadata", "generation")
	for k, v := range want {
		if k != "spec" && k != "metadata" && k != "status" {
			obj[k] = v
		}
	}
	return deepCopy(obj)
}

// mergeSpec is the spec server-side apply leaves: desired's, plus the
// fields another manager set that desired does not name: a Service's
// clusterIP (the API server's) and a selector Argo Rollouts changed (its
// Update made it the selector's owner). A selector desired names replaces
// the stored one whole: it is an atomic map.
func mergeSpec(old, want any) any {
	om, _ := old.(map[string]any)
	wm, ok := want.(map[string]any)
	if !ok {
		return want
	}
	out := map[string]any{}
	for k, v := range wm {
		out[k] = v
	}
	for _, k := range []string{"clusterIP", "selector"} {
		if v, ok := om[k]; ok {
			if _, set := wm[k]; !set {
				out[k] = v
			}
		}
	}
	// A managed resource's forProvider is a granular map: the fields the
	// provider late-initialized (its own Update) stay while desired leaves
	// them out, and desired's win where both set them.
	if ofp, ok := om["forProvider"].(map[string]any); ok {
		if wfp, ok := wm["forProvider"].(map[string]any); ok {
			out["forProvider"] = mergeGranular(ofp, wfp)
		}
	}
	return out
}

// mergeMetadata keeps the annotations another manager set (a provider's
// crossplane.io/external-name) that desired does not name; the rest of
// metadata is desired's.
func mergeMetadata(old, want any) any {
	om, _ := old.(map[string]any)
	wm, ok := want.(map[string]any)
	if !ok {
		return want
	}
	out := map[string]any{}
	for k, v := range wm {
		out[k] = v
	}
	if oa, ok := om["annotations"].(map[string]any); ok {
		wa, _ := wm["annotations"].(map[string]any)
		if wa == nil {
			wa = map[string]any{}
		}
		out["annotations"] = mergeGranular(oa, wa)
	}
	return out
}

// mergeGranular is server-side apply on a granular map: want's keys win,
// old's other keys stay, nested maps merge the same way.
func mergeGranular(old, want map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range want {
		om, ok1 := old[k].(map[string]any)
		wm, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeGranular(om, wm)
			continue
		}
		out[k] = v
	}
	return out
}

// Refused is the API server's refusal of desired over the stored object
// old, else "": a Job's pod template is immutable (kube-apiserver
// pkg/apis/batch/validation ValidateJobSpecUpdate: "field is immutable").
func Refused(old, desired map[string]any) string {
	if old == nil || desired["kind"] != "Job" {
		return ""
	}
	ot, _, _ := unstructured.NestedFieldNoCopy(old, "spec", "template")
	dt, _, _ := unstructured.NestedFieldNoCopy(deepCopy(desired), "spec", "template")
	if !reflect.DeepEqual(ot, dt) {
		return fmt.Sprintf("Job.batch %q is invalid: spec.template: Invalid value: field is immutable", (&unstructured.Unstructured{Object: old}).GetName())
	}
	return ""
}

// Num reads an integer that may be an int64 (set by a test or the dynamic
// client) or a float64 (decoded from JSON or a protobuf Struct).
func Num(obj map[string]any, path ...string) (int64, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(obj, path...)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), true
	}
	return 0, false
}

func deepCopy(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("fake: cannot copy %v: %v", m, err))
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func mustSet(obj map[string]any, value any, path ...string) {
	if err := unstructured.SetNestedField(obj, value, path...); err != nil {
		panic(err)
	}
}
