// Package ready decides, from observed state, whether each composed resource
// is ready. It holds one check per kind, listed in one map.
package ready

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// IngressPolicy says when an Ingress counts as ready.
type IngressPolicy string

// Ingress readiness policies; the function's Input chooses one.
const (
	IngressAddressAssigned IngressPolicy = "AddressAssigned"
	IngressExists          IngressPolicy = "Exists"
)

// Options tune the checks.
type Options struct {
	Ingress IngressPolicy
}

// Result of a readiness check. Reason says what is missing when not ready.
type Result struct {
	Ready  bool
	Reason string
}

// A Check decides readiness of an observed object.
type Check func(observed *unstructured.Unstructured, o Options) Result

// checks maps each kind this function composes to its check. The version is
// left out: a check reads fields every served version has.
var checks = map[schema.GroupKind]Check{
	{Group: "apps", Kind: "Deployment"}:                 deployment,
	{Group: "", Kind: "Service"}:                        exists,
	{Group: "", Kind: "Secret"}:                         exists,
	{Group: "", Kind: "ServiceAccount"}:                 exists,
	{Group: "networking.k8s.io", Kind: "Ingress"}:       ingress,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}: exists,
	{Group: "postgresql.cnpg.io", Kind: "Cluster"}:      cnpgCluster,
	{Group: "batch", Kind: "Job"}:                       job,
	{Group: "batch", Kind: "CronJob"}:                   exists,

	// Progressive delivery, scaling and monitoring. An AnalysisTemplate,
	// an autoscaler, a disruption budget and a monitor have nothing to
	// wait for once they exist.
	{Group: "argoproj.io", Kind: "Rollout"}:                  rollout,
	{Group: "argoproj.io", Kind: "AnalysisTemplate"}:         exists,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:  exists,
	{Group: "policy", Kind: "PodDisruptionBudget"}:           exists,
	{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"}: exists,
	{Group: "monitoring.coreos.com", Kind: "PodMonitor"}:     exists,

	// A Secret synced from the platform's store.
	{Group: "external-secrets.io", Kind: "ExternalSecret"}: externalSecret,

	// Managed resources of the cloud databases, namespaced (.m) and
	// cluster-scoped.
	{Group: "rds.aws.m.upbound.io", Kind: "Instance"}:                             managed,
	{Group: "rds.aws.upbound.io", Kind: "Instance"}:                               managed,
	{Group: "sql.gcp.m.upbound.io", Kind: "DatabaseInstance"}:                     managed,
	{Group: "sql.gcp.upbound.io", Kind: "DatabaseInstance"}:                       managed,
	{Group: "sql.gcp.m.upbound.io", Kind: "Database"}:                             managed,
	{Group: "sql.gcp.upbound.io", Kind: "Database"}:                               managed,
	{Group: "sql.gcp.m.upbound.io", Kind: "User"}:                                 managed,
	{Group: "sql.gcp.upbound.io", Kind: "User"}:                                   managed,
	{Group: "dbforpostgresql.azure.m.upbound.io", Kind: "FlexibleServer"}:         managed,
	{Group: "dbforpostgresql.azure.upbound.io", Kind: "FlexibleServer"}:           managed,
	{Group: "dbforpostgresql.azure.m.upbound.io", Kind: "FlexibleServerDatabase"}: managed,
	{Group: "dbforpostgresql.azure.upbound.io", Kind: "FlexibleServerDatabase"}:   managed,
}

// Of returns the readiness of a composed resource. gk is the desired kind;
// observed is nil when the resource does not exist yet.
func Of(gk schema.GroupKind, observed *unstructured.Unstructured, o Options) Result {
	if observed == nil || len(observed.Object) == 0 {
		return Result{Reason: "not created yet"}
	}
	check, ok := checks[gk]
	if !ok {
		return Result{Reason: fmt.Sprintf("no readiness check for %s", gk)}
	}
	return check(observed, o)
}

func exists(_ *unstructured.Unstructured, _ Options) Result {
	return Result{Ready: true}
}

// condition returns the status and message of a status condition, and
// whether it exists.
func condition(u *unstructured.Unstructured, typ string) (status, message string, found bool) {
	m := conditionOf(u, typ)
	if m == nil {
		return "", "", false
	}
	s, _ := m["status"].(string)
	msg, _ := m["message"].(string)
	return s, msg, true
}

// conditionOf returns a status condition, or nil.
func conditionOf(u *unstructured.Unstructured, typ string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

// integer reads an integer field that may arrive as int64 or float64 (JSON
// numbers through protobuf Struct are floats).
func integer(u *unstructured.Unstructured, fields ...string) (int64, bool) {
	v, ok, err := unstructured.NestedFieldNoCopy(u.Object, fields...)
	if err != nil || !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}
