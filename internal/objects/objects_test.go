package objects

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/encode"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

func meta() Meta {
	return Meta{Names: names.For("shop"), Namespace: "shop", Composite: "shop", Environment: "production", Owner: "team-shop"}
}

func workload() resolve.Workload {
	return resolve.Workload{
		Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 2, HealthPath: "/healthz",
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		Env: []v1alpha1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
	}
}

// TestDeploymentMeetsRestrictedPodSecurity evaluates the pod template with
// the Pod Security admission library itself, at the restricted level.
func TestDeploymentMeetsRestrictedPodSecurity(t *testing.T) {
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cnpg := resolve.Database{Provider: resolve.ProviderCNPG}
	aws := resolve.Database{Provider: resolve.ProviderAWS, CABundle: resolve.DefaultCABundles[resolve.ProviderAWS]}
	next := workload()
	next.WritablePaths = resolve.DefaultNodeFrontendWritablePaths
	full := workload()
	full.Files = []v1alpha1.File{{Path: "/etc/app", Secret: "app-files"}, {Path: "/etc/conf", ConfigMap: "app-conf"}}
	full.EnvFrom = []v1alpha1.EnvFromSource{{SecretRef: "app-env"}}
	full.ImagePullSecrets = []string{"ghcr-pull"}
	full.PodLabels, full.PodAnnotations = map[string]string{"team": "shop"}, map[string]string{"sidecar.istio.io/inject": "true"}
	full.Command, full.Args = []string{"node"}, []string{"server.js"}
	full.Probes = resolve.DefaultProbes
	withIdentity := func() Meta {
		m := meta()
		m.Identity = resolve.Identity{AzureClientID: "0b6f3c2e-8d7a-4b1e-9f00-6a5c4d3b2a10", KubernetesAPIToken: true}
		return m
	}
	templates := map[string]corev1.PodTemplateSpec{
		"frontend":                           Deployment(meta(), ComponentFrontend, "shop-frontend", next, Wiring{}).Spec.Template,
		"backend (cnpg)":                     Deployment(meta(), ComponentBackend, "shop-backend", workload(), DatabaseWiring(meta(), cnpg)).Spec.Template,
		"backend (aws)":                      Deployment(meta(), ComponentBackend, "shop-backend", workload(), DatabaseWiring(meta(), aws)).Spec.Template,
		"migration Job (cnpg)":               MigrationJob(meta(), "shop-backend-migrate", workload(), resolve.Migration{Command: []string{"npm", "run", "migrate"}, TimeoutSeconds: 600}, DatabaseWiring(meta(), cnpg)).Spec.Template,
		"worker":                             WorkerDeployment(withIdentity(), resolve.Worker{Name: "queue", Pods: full, Database: true}, DatabaseWiring(meta(), cnpg)).Spec.Template,
		"scheduled job":                      ScheduleCronJob(withIdentity(), resolve.Schedule{Name: "nightly", Pods: full, Schedule: "@daily", ConcurrencyPolicy: "Forbid", TimeoutSeconds: 60}, Wiring{}).Spec.JobTemplate.Spec.Template,
		"backend with files, envFrom, token": Deployment(withIdentity(), ComponentBackend, "shop-backend", full, DatabaseWiring(meta(), aws)).Spec.Template,
	}
	for what, tpl := range templates {
		results := eval.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &tpl.ObjectMeta, &tpl.Spec)
		for _, r := range results {
			if !r.Allowed {
				t.Errorf("%s pod violates the restricted Pod Security Standard: %s: %s", what, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
	}
}

func TestDeploymentEnvAndLabels(t *testing.T) {
	d := Deployment(meta(), ComponentBackend, "shop-backend", workload(), DatabaseWiring(meta(), resolve.Database{Provider: resolve.ProviderCNPG}))
	ref := func(name, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "shop-db-connection"}, Key: key,
		}}}
	}
	wantEnv := []corev1.EnvVar{
		{Name: "PORT", Value: "3001"}, {Name: "HOME", Value: "/tmp"},
		ref("DATABASE_HOST", "host"), ref("DATABASE_PORT", "port"), ref("DATABASE_NAME", "dbname"),
		ref("DATABASE_USER", "username"), ref("DATABASE_PASSWORD", "password"), ref("DATABASE_URL", "uri"), ref("DATABASE_SSLMODE", "sslmode"),
		ref("DATABASE_SSLROOTCERT", "sslrootcert"), ref("PGSSLROOTCERT", "sslrootcert"), ref("DATABASE_JDBC_URL", "jdbcUrl"),
		{Name: "LOG_LEVEL", Value: "info"},
	}
	if diff := cmp.Diff(wantEnv, d.Spec.Template.Spec.Containers[0].Env); diff != "" {
		t.Errorf("backend env: -want, +got:\n%s", diff)
	}
	// Only the CA certificate of CloudNativePG's CA Secret is mounted, never
	// its key, read-only where sslrootcert points.
	wantMounts := []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "db-ca", MountPath: "/etc/fullstack/db-ca", ReadOnly: true}}
	if diff := cmp.Diff(wantMounts, d.Spec.Template.Spec.Containers[0].VolumeMounts); diff != "" {
		t.Errorf("backend mounts: -want, +got:\n%s", diff)
	}
	wantCA := &corev1.SecretVolumeSource{SecretName: "shop-db-ca", Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, DefaultMode: ptr.To[int32](0o444)}
	if diff := cmp.Diff(wantCA, d.Spec.Template.Spec.Volumes[1].Secret); diff != "" {
		t.Errorf("backend CA volume: -want, +got:\n%s", diff)
	}
	wantLabels := map[string]string{
		"app.kubernetes.io/name": "shop", "app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": "backend",
		"app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "crossplane", "crossplane.io/composite": "shop",
		"backstage.io/kubernetes-id": "shop", "fullstack.io/environment": "production", "fullstack.io/owner": "team-shop",
	}
	for what, got := range map[string]map[string]string{"object": d.Labels, "pod template": d.Spec.Template.Labels} {
		if diff := cmp.Diff(wantLabels, got); diff != "" {
			t.Errorf("%s labels: -want, +got:\n%s", what, diff)
		}
	}
	wantSelector := map[string]string{"app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": "backend"}
	if diff := cmp.Diff(wantSelector, d.Spec.Selector.MatchLabels); diff != "" {
		t.Errorf("selector: -want, +got:\n%s", diff)
	}
}

// TestWritablePathsAndHome: each writable path is an emptyDir of its own
// after /tmp, and HOME is /tmp unless the workload's env sets it.
func TestWritablePathsAndHome(t *testing.T) {
	empty := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	cases := map[string]struct {
		writable []string
		env      []v1alpha1.EnvVar
		volumes  []corev1.Volume
		mounts   []corev1.VolumeMount
		wantEnv  []corev1.EnvVar
	}{
		"OnlyTmp": {
			volumes: []corev1.Volume{{Name: "tmp", VolumeSource: empty}},
			mounts:  []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
			wantEnv: []corev1.EnvVar{{Name: "PORT", Value: "3000"}, {Name: "HOME", Value: "/tmp"}},
		},
		"NextCacheAndAnother": {
			writable: []string{"/app/.next/cache", "/var/cache/nginx"},
			volumes:  []corev1.Volume{{Name: "tmp", VolumeSource: empty}, {Name: "writable-0", VolumeSource: empty}, {Name: "writable-1", VolumeSource: empty}},
			mounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "writable-0", MountPath: "/app/.next/cache"},
				{Name: "writable-1", MountPath: "/var/cache/nginx"}},
			wantEnv: []corev1.EnvVar{{Name: "PORT", Value: "3000"}, {Name: "HOME", Value: "/tmp"}},
		},
		"HomeFromEnv": {
			writable: []string{"/home/node"},
			env:      []v1alpha1.EnvVar{{Name: "HOME", Value: "/home/node"}},
			volumes:  []corev1.Volume{{Name: "tmp", VolumeSource: empty}, {Name: "writable-0", VolumeSource: empty}},
			mounts:   []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "writable-0", MountPath: "/home/node"}},
			wantEnv:  []corev1.EnvVar{{Name: "PORT", Value: "3000"}, {Name: "HOME", Value: "/home/node"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := resolve.Workload{Image: "ghcr.io/acme/web:1", Port: 3000, WritablePaths: tc.writable, Env: tc.env}
			ps := Deployment(meta(), ComponentFrontend, "shop-frontend", w, Wiring{}).Spec.Template.Spec
			if diff := cmp.Diff(tc.volumes, ps.Volumes); diff != "" {
				t.Errorf("volumes: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.mounts, ps.Containers[0].VolumeMounts); diff != "" {
				t.Errorf("mounts: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEnv, ps.Containers[0].Env); diff != "" {
				t.Errorf("env: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestIngress(t *testing.T) {
	path := func(p, svc string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: ptr.To(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}},
		}}
	}
	rules := []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
		HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{path("/api", "shop-backend"), path("/", "shop-frontend")}},
	}}}
	cases := map[string]struct {
		in          resolve.Ingress
		annotations map[string]string
		spec        networkingv1.IngressSpec
		url         string
	}{
		"Plain": {
			in:   resolve.Ingress{Enabled: true, Host: "shop.example.com"},
			spec: networkingv1.IngressSpec{Rules: rules},
			url:  "http://shop.example.com",
		},
		"ClusterIssuer": {
			in:          resolve.Ingress{Enabled: true, Host: "shop.example.com", ClassName: "nginx", TLS: true, IssuerName: "le", IssuerKind: "ClusterIssuer"},
			annotations: map[string]string{"cert-manager.io/cluster-issuer": "le"},
			spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: rules,
				TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "shop-tls"}}},
			url: "https://shop.example.com",
		},
		"NamespacedIssuer": {
			in:          resolve.Ingress{Enabled: true, Host: "shop.example.com", TLS: true, IssuerName: "ca", IssuerKind: "Issuer"},
			annotations: map[string]string{"cert-manager.io/issuer": "ca"},
			spec: networkingv1.IngressSpec{Rules: rules,
				TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "shop-tls"}}},
			url: "https://shop.example.com",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ing := Ingress(meta(), tc.in, []Route{{Path: "/api", Service: "shop-backend"}, {Path: "/", Service: "shop-frontend"}})
			if diff := cmp.Diff(tc.annotations, ing.Annotations); diff != "" {
				t.Errorf("annotations: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.spec, ing.Spec); diff != "" {
				t.Errorf("spec: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.url, URL(meta(), tc.in, "shop-frontend")); diff != "" {
				t.Errorf("URL: -want, +got:\n%s", diff)
			}
		})
	}
	if got, want := URL(meta(), resolve.Ingress{}, "shop-frontend"), "http://shop-frontend.shop.svc"; got != want {
		t.Errorf("URL with the ingress off: want %q, got %q", want, got)
	}
}

func TestTypedOmitsZeroValues(t *testing.T) {
	svc := Service(meta(), ComponentFrontend, "shop-frontend", nil)
	u, err := new(encode.Encoder).Typed(svc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata": map[string]any{"name": "shop-frontend", "namespace": "shop", "labels": map[string]any{
			"app.kubernetes.io/name": "shop", "app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": "frontend",
			"app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "crossplane", "crossplane.io/composite": "shop",
			"backstage.io/kubernetes-id": "shop", "fullstack.io/environment": "production", "fullstack.io/owner": "team-shop",
		}},
		"spec": map[string]any{
			"type":     "ClusterIP",
			"selector": map[string]any{"app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": "frontend"},
			"ports":    []any{map[string]any{"name": "http", "port": float64(80), "targetPort": "http", "protocol": "TCP"}},
		},
	}
	if diff := cmp.Diff(want, u.AsMap()); diff != "" {
		t.Errorf("Encoder.Typed(Service): -want, +got:\n%s", diff)
	}
}
