package ready

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

var (
	deploymentGK = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	clusterGK    = schema.GroupKind{Group: "postgresql.cnpg.io", Kind: "Cluster"}
	ingressGK    = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	serviceGK    = schema.GroupKind{Kind: "Service"}
	secretGK     = schema.GroupKind{Kind: "Secret"}
)

func TestOf(t *testing.T) {
	cases := map[string]struct {
		gk       schema.GroupKind
		observed string
		opts     Options
		want     Result
	}{
		"NotObserved": {gk: deploymentGK, want: Result{Reason: "not created yet"}},
		"UnknownKind": {gk: schema.GroupKind{Group: "example.org", Kind: "Widget"}, observed: "metadata: {name: w}",
			want: Result{Reason: "no readiness check for Widget.example.org"}},
		"ServiceExists": {gk: serviceGK, observed: "metadata: {name: s}", want: Result{Ready: true}},
		"SecretExists":  {gk: secretGK, observed: "metadata: {name: s}", want: Result{Ready: true}},

		"DeploymentGenerationNotObserved": {gk: deploymentGK,
			observed: "metadata: {generation: 3}\nspec: {replicas: 2}\nstatus: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2}",
			want:     Result{Reason: "generation 3 not yet observed by the Deployment controller"}},
		"DeploymentUpdating": {gk: deploymentGK,
			observed: "metadata: {generation: 2}\nspec: {replicas: 3}\nstatus: {observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3}",
			want:     Result{Reason: "1 of 3 replicas updated"}},
		"DeploymentOldReplicasLeft": {gk: deploymentGK,
			observed: "metadata: {generation: 2}\nspec: {replicas: 3}\nstatus: {observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3}",
			want:     Result{Reason: "1 old replicas pending termination"}},
		"DeploymentUnavailable": {gk: deploymentGK,
			observed: "metadata: {generation: 1}\nspec: {replicas: 3}\nstatus: {observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 1}",
			want:     Result{Reason: "1 of 3 replicas available"}},
		"DeploymentAvailableConditionFalse": {gk: deploymentGK,
			observed: "metadata: {generation: 1}\nspec: {replicas: 1}\nstatus: {observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1, conditions: [{type: Available, status: 'False', message: quota}]}",
			want:     Result{Reason: "Available=False: quota"}},
		"DeploymentReady": {gk: deploymentGK,
			observed: "metadata: {generation: 1}\nspec: {replicas: 2}\nstatus: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [{type: Available, status: 'True'}]}",
			want:     Result{Ready: true}},
		"DeploymentScaledToZero": {gk: deploymentGK,
			observed: "metadata: {generation: 1}\nspec: {replicas: 0}\nstatus: {observedGeneration: 1}",
			want:     Result{Ready: true}},
		"DeploymentNoStatusYet": {gk: deploymentGK,
			observed: "metadata: {generation: 1}\nspec: {replicas: 1}",
			want:     Result{Reason: "generation 1 not yet observed by the Deployment controller"}},

		"ClusterNoStatus": {gk: clusterGK, observed: "metadata: {name: db}",
			want: Result{Reason: "no status reported by CloudNativePG yet"}},
		"ClusterSettingUp": {gk: clusterGK,
			observed: "status: {phase: Setting up primary, conditions: [{type: Ready, status: 'False'}]}",
			want:     Result{Reason: "phase: Setting up primary"}},
		"ClusterReadyCondition": {gk: clusterGK,
			observed: "status: {phase: Cluster in healthy state, conditions: [{type: Ready, status: 'True'}]}",
			want:     Result{Ready: true}},
		"ClusterHealthyPhaseWithoutConditions": {gk: clusterGK,
			observed: "status: {phase: Cluster in healthy state}",
			want:     Result{Ready: true}},
		"ClusterHealthyPhaseButNotReady": {gk: clusterGK,
			observed: "status: {phase: Cluster in healthy state, conditions: [{type: Ready, status: 'False', message: switchover}]}",
			want:     Result{Reason: "Ready=False: switchover"}},

		"IngressNoAddress":       {gk: ingressGK, observed: "status: {loadBalancer: {}}", want: Result{Reason: "no address assigned by the ingress controller yet"}},
		"IngressIP":              {gk: ingressGK, observed: "status: {loadBalancer: {ingress: [{ip: 203.0.113.1}]}}", want: Result{Ready: true}},
		"IngressHostname":        {gk: ingressGK, observed: "status: {loadBalancer: {ingress: [{hostname: lb.example.net}]}}", want: Result{Ready: true}},
		"IngressExistsPolicy":    {gk: ingressGK, observed: "metadata: {name: i}", opts: Options{Ingress: IngressExists}, want: Result{Ready: true}},
		"IngressAddressPolicyNo": {gk: ingressGK, observed: "metadata: {name: i}", opts: Options{Ingress: IngressAddressAssigned}, want: Result{Reason: "no address assigned by the ingress controller yet"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var o *unstructured.Unstructured
			if tc.observed != "" {
				o = obj(t, tc.observed)
			}
			if diff := cmp.Diff(tc.want, Of(tc.gk, o, tc.opts)); diff != "" {
				t.Errorf("Of(...): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestManaged(t *testing.T) {
	rds := schema.GroupKind{Group: "rds.aws.m.upbound.io", Kind: "Instance"}
	es := schema.GroupKind{Group: "external-secrets.io", Kind: "ExternalSecret"}
	cases := map[string]struct {
		gk       schema.GroupKind
		observed string
		want     Result
	}{
		"NoConditions": {gk: rds, observed: "metadata: {name: db}", want: Result{Reason: "no Synced condition reported by the provider yet"}},
		"SyncedFalse": {gk: rds, observed: "status: {conditions: [{type: Synced, status: 'False', reason: ReconcileError, message: 'InvalidParameterValue: bad class'}, {type: Ready, status: 'False'}]}",
			want: Result{Reason: "Synced=False: InvalidParameterValue: bad class"}},
		"Creating": {gk: schema.GroupKind{Group: "sql.gcp.upbound.io", Kind: "DatabaseInstance"},
			observed: "status: {conditions: [{type: Synced, status: 'True'}, {type: Ready, status: 'False', reason: Creating}]}",
			want:     Result{Reason: "Ready=False: Creating"}},
		"Ready": {gk: schema.GroupKind{Group: "dbforpostgresql.azure.m.upbound.io", Kind: "FlexibleServer"},
			observed: "status: {conditions: [{type: Synced, status: 'True'}, {type: Ready, status: 'True'}]}",
			want:     Result{Ready: true}},

		// The External Secrets Operator's ExternalSecret (status as its
		// controller's markAsDone and its error paths write it).
		"ExternalSecretNotSynced": {gk: es, observed: "metadata: {name: stripe}", want: Result{Reason: "the External Secrets Operator has not synced it yet"}},
		"ExternalSecretStoreError": {gk: es, observed: "status: {conditions: [{type: Ready, status: 'False', reason: SecretSyncedError, message: 'could not get secret data from provider'}]}",
			want: Result{Reason: "Ready=False: could not get secret data from provider"}},
		"ExternalSecretSynced": {gk: es, observed: "status: {conditions: [{type: Ready, status: 'True', reason: SecretSynced, message: Secret was synced}]}",
			want: Result{Ready: true}},
		"ServiceAccount": {gk: schema.GroupKind{Kind: "ServiceAccount"}, observed: "metadata: {name: paygate}", want: Result{Ready: true}},
		"CronJob":        {gk: schema.GroupKind{Group: "batch", Kind: "CronJob"}, observed: "metadata: {name: paygate-reconcile}", want: Result{Ready: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Of(tc.gk, obj(t, tc.observed), Options{})); diff != "" {
				t.Errorf("Of(...): -want, +got:\n%s", diff)
			}
		})
	}
}
