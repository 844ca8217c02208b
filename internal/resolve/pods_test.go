package resolve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// TestPodSettings refuses, with the field path, every kind of bad secret,
// config, command, registry credential and pod metadata setting, and
// accepts a service that uses them all.
func TestPodSettings(t *testing.T) {
	secret := func(name, key string) *v1alpha1.EnvVarSource {
		return &v1alpha1.EnvVarSource{SecretKeyRef: &v1alpha1.KeyRef{Name: name, Key: key}}
	}
	cases := map[string]struct {
		in       v1alpha1.Process
		writable []string
		want     []string
	}{
		"AllOfThem": {in: v1alpha1.Process{
			Env:              []v1alpha1.EnvVar{{Name: "STRIPE_API_KEY", ValueFrom: secret("stripe", "api-key")}, {Name: "REGION", ValueFrom: &v1alpha1.EnvVarSource{ConfigMapKeyRef: &v1alpha1.KeyRef{Name: "payments", Key: "region"}}}},
			EnvFrom:          []v1alpha1.EnvFromSource{{SecretRef: "payments-env", Prefix: "PAY_"}, {ConfigMapRef: "payments-config"}},
			Files:            []v1alpha1.File{{Path: "/etc/payments", ConfigMap: "payments-files"}, {Path: "/var/run/secrets/stripe", Secret: "stripe-webhook"}},
			Command:          []string{"node"},
			Args:             []string{"server.js", "--port=8080"},
			ImagePullSecrets: []string{"ghcr-pull"},
			PodAnnotations:   map[string]string{"sidecar.istio.io/inject": "true"},
			PodLabels:        map[string]string{"team": "payments"},
		}},
		"ValueAndValueFrom": {in: v1alpha1.Process{Env: []v1alpha1.EnvVar{{Name: "K", Value: "v", ValueFrom: secret("s", "k")}}},
			want: []string{"spec.backend.env[0].valueFrom: Forbidden: set value or valueFrom, not both"}},
		"ValueFromBothKinds": {in: v1alpha1.Process{Env: []v1alpha1.EnvVar{{Name: "K", ValueFrom: &v1alpha1.EnvVarSource{
			SecretKeyRef: &v1alpha1.KeyRef{Name: "s", Key: "k"}, ConfigMapKeyRef: &v1alpha1.KeyRef{Name: "c", Key: "k"}}}}},
			want: []string{"spec.backend.env[0].valueFrom: Invalid value: 2: set exactly one of secretKeyRef and configMapKeyRef"}},
		"SecretNameInvalid": {in: v1alpha1.Process{Env: []v1alpha1.EnvVar{{Name: "K", ValueFrom: secret("Stripe_Keys", "k")}}},
			want: []string{`spec.backend.env[0].valueFrom.secretKeyRef.name: Invalid value: "Stripe_Keys": a lowercase RFC 1123 subdomain`}},
		"SecretKeyInvalid": {in: v1alpha1.Process{Env: []v1alpha1.EnvVar{{Name: "K", ValueFrom: secret("stripe", "api key")}}},
			want: []string{`spec.backend.env[0].valueFrom.secretKeyRef.key: Invalid value: "api key": a valid config key must consist of alphanumeric characters`}},
		"EnvFromBoth": {in: v1alpha1.Process{EnvFrom: []v1alpha1.EnvFromSource{{SecretRef: "a", ConfigMapRef: "b"}}},
			want: []string{`spec.backend.envFrom[0]: Invalid value: "": set exactly one of secretRef and configMapRef`}},
		"EnvFromPrefixInvalid": {in: v1alpha1.Process{EnvFrom: []v1alpha1.EnvFromSource{{SecretRef: "a", Prefix: "1X"}}},
			want: []string{`spec.backend.envFrom[0].prefix: Invalid value: "1X": a valid environment variable name must consist of`}},
		"FileUnderTmp": {in: v1alpha1.Process{Files: []v1alpha1.File{{Path: "/tmp/conf", ConfigMap: "c"}}},
			want: []string{`spec.backend.files[0].path: Invalid value: "/tmp/conf": must not hold or lie under /tmp, which is writable`}},
		"FileOverTheCA": {in: v1alpha1.Process{Files: []v1alpha1.File{{Path: "/etc/fullstack", ConfigMap: "c"}}},
			want: []string{`spec.backend.files[0].path: Invalid value: "/etc/fullstack": must not hold or lie under /etc/fullstack/db-ca, where the database's CA bundle is mounted`}},
		"FileInAWritablePath": {in: v1alpha1.Process{Files: []v1alpha1.File{{Path: "/app/cache/conf", ConfigMap: "c"}}}, writable: []string{"/app/cache"},
			want: []string{`spec.backend.files[0].path: Invalid value: "/app/cache/conf": must not hold or lie under the writable path /app/cache`}},
		"FileRelative": {in: v1alpha1.Process{Files: []v1alpha1.File{{Path: "etc/app", Secret: "s"}}},
			want: []string{`spec.backend.files[0].path: Invalid value: "etc/app": must be an absolute, clean directory path`}},
		"FileNoSource": {in: v1alpha1.Process{Files: []v1alpha1.File{{Path: "/etc/app"}}},
			want: []string{`spec.backend.files[0]: Invalid value: "/etc/app": set exactly one of configMap and secret`}},
		"FileTwice": {in: v1alpha1.Process{Files: []v1alpha1.File{{Path: "/etc/app", Secret: "s"}, {Path: "/etc/app", ConfigMap: "c"}}},
			want: []string{`spec.backend.files[1].path: Duplicate value: "/etc/app"`}},
		"CommandTooLong": {in: v1alpha1.Process{Command: make([]string, 33)},
			want: []string{"spec.backend.command: Too many: 33: must have at most 32 items"}},
		"ArgTooLong": {in: v1alpha1.Process{Args: []string{strings.Repeat("a", 1025)}},
			want: []string{"spec.backend.args[0]: Too long: may not be more than 1024 bytes"}},
		"PullSecretInvalid": {in: v1alpha1.Process{ImagePullSecrets: []string{"GHCR"}},
			want: []string{`spec.backend.imagePullSecrets[0]: Invalid value: "GHCR": a lowercase RFC 1123 subdomain`}},
		"PullSecretTwice": {in: v1alpha1.Process{ImagePullSecrets: []string{"ghcr", "ghcr"}},
			want: []string{`spec.backend.imagePullSecrets[1]: Duplicate value: "ghcr"`}},
		"ReservedAnnotation": {in: v1alpha1.Process{PodAnnotations: map[string]string{"fullstack.io/owner": "x"}},
			want: []string{"spec.backend.podAnnotations[fullstack.io/owner]: Forbidden: set by the platform; reserved: app.kubernetes.io/"}},
		"ReservedLabel": {in: v1alpha1.Process{PodLabels: map[string]string{"app.kubernetes.io/instance": "other"}},
			want: []string{"spec.backend.podLabels[app.kubernetes.io/instance]: Forbidden: set by the platform; reserved: app.kubernetes.io/"}},
		"AzureLabelReserved": {in: v1alpha1.Process{PodLabels: map[string]string{"azure.workload.identity/use": "true"}},
			want: []string{"spec.backend.podLabels[azure.workload.identity/use]: Forbidden: set by the platform"}},
		"LabelValueInvalid": {in: v1alpha1.Process{PodLabels: map[string]string{"team": "pay ments"}},
			want: []string{`spec.backend.podLabels[team]: Invalid value: "pay ments": a valid label must be`}},
		"AnnotationKeyInvalid": {in: v1alpha1.Process{PodAnnotations: map[string]string{"bad key": "x"}},
			want: []string{`spec.backend.podAnnotations[bad key]: Invalid value: "bad key": name part must consist of`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out := Workload{WritablePaths: tc.writable}
			errs := resolvePodSettings(field.NewPath("spec", "backend"), tc.in, &out)
			var got []string
			for i, e := range errs {
				got = append(got, e.Error())
				if i < len(tc.want) && strings.HasPrefix(e.Error(), tc.want[i]) {
					got[i] = tc.want[i]
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (prefixes): -want, +got:\n%s", diff)
			}
			if len(tc.want) == 0 && !cmp.Equal(tc.in.Files, out.Files) {
				t.Errorf("the files were not kept: %v", out.Files)
			}
		})
	}
}

// TestIdentity completes the cloud identities an XR names with the
// platform's account and project, and refuses what cannot be completed.
func TestIdentity(t *testing.T) {
	platform := Platform{Identity: v1beta1.Identity{AWS: &v1beta1.AWSIdentity{AccountID: "123456789012"}, GCP: &v1beta1.GCPIdentity{Project: "acme-prod"}}}
	cases := map[string]struct {
		in       v1alpha1.Identity
		platform Platform
		want     Identity
		errs     []string
	}{
		"RoleName":     {in: v1alpha1.Identity{AWSRole: "payments"}, platform: platform, want: Identity{AWSRoleARN: "arn:aws:iam::123456789012:role/payments"}},
		"RoleARN":      {in: v1alpha1.Identity{AWSRole: "arn:aws:iam::210987654321:role/team/payments"}, want: Identity{AWSRoleARN: "arn:aws:iam::210987654321:role/team/payments"}},
		"GovPartition": {in: v1alpha1.Identity{AWSRole: "payments"}, platform: Platform{Identity: v1beta1.Identity{AWS: &v1beta1.AWSIdentity{AccountID: "123456789012", Partition: "aws-us-gov"}}}, want: Identity{AWSRoleARN: "arn:aws-us-gov:iam::123456789012:role/payments"}},
		"RoleNameNoAccount": {in: v1alpha1.Identity{AWSRole: "payments"},
			errs: []string{`spec.identity.awsRole: Required value: "payments" is a role name, and the platform names no AWS account: give the role's ARN, or set identity.aws.accountId in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)`}},
		"RoleARNInvalid": {in: v1alpha1.Identity{AWSRole: "arn:aws:iam::123:role/x"},
			errs: []string{`spec.identity.awsRole: Invalid value: "arn:aws:iam::123:role/x": must be an IAM role ARN such as arn:aws:iam::123456789012:role/payments, or a role name`}},
		"GCPName":  {in: v1alpha1.Identity{GCPServiceAccount: "payments"}, platform: platform, want: Identity{GCPServiceAccount: "payments@acme-prod.iam.gserviceaccount.com"}},
		"GCPEmail": {in: v1alpha1.Identity{GCPServiceAccount: "payments@other-proj.iam.gserviceaccount.com"}, want: Identity{GCPServiceAccount: "payments@other-proj.iam.gserviceaccount.com"}},
		"GCPNameNoProject": {in: v1alpha1.Identity{GCPServiceAccount: "payments"},
			errs: []string{`spec.identity.gcpServiceAccount: Required value: "payments" is a service account name, and the platform names no project: give its email, or set identity.gcp.project in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)`}},
		"GCPNameInvalid": {in: v1alpha1.Identity{GCPServiceAccount: "Pay"},
			errs: []string{`spec.identity.gcpServiceAccount: Invalid value: "Pay": must be a service account name (6 to 30 lowercase letters, digits and hyphens) or its email`}},
		"Azure": {in: v1alpha1.Identity{AzureClientID: "0b6f3c2e-8d7a-4b1e-9f00-6a5c4d3b2a10"}, want: Identity{AzureClientID: "0b6f3c2e-8d7a-4b1e-9f00-6a5c4d3b2a10"}},
		"AzureInvalid": {in: v1alpha1.Identity{AzureClientID: "not-a-uuid"},
			errs: []string{`spec.identity.azureClientId: Invalid value: "not-a-uuid": must be a client ID (a lowercase UUID)`}},
		"Token": {in: v1alpha1.Identity{KubernetesAPIToken: "Enabled"}, want: Identity{KubernetesAPIToken: true}},
		"TokenUnknown": {in: v1alpha1.Identity{KubernetesAPIToken: "Yes"},
			errs: []string{`spec.identity.kubernetesAPIToken: Unsupported value: "Yes": supported values: "Enabled", "Disabled"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, errs := resolveIdentity(field.NewPath("spec", "identity"), &tc.in, tc.platform)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if diff := cmp.Diff(tc.errs, msgs); diff != "" {
				t.Errorf("errors: -want, +got:\n%s", diff)
			}
			if len(tc.errs) == 0 {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("identity: -want, +got:\n%s", diff)
				}
			}
		})
	}
}

// TestProbesAndPorts applies probe timings over the defaults and refuses
// bad timings and ports, naming the field.
func TestProbesAndPorts(t *testing.T) {
	p := func(n int64) *int64 { return &n }
	t.Run("TimingsOverDefaults", func(t *testing.T) {
		got, errs := resolveProbes(field.NewPath("spec", "backend", "probes"), &v1alpha1.Probes{
			Startup: &v1alpha1.ProbeTiming{FailureThreshold: p(60)}, Liveness: &v1alpha1.ProbeTiming{PeriodSeconds: p(30), InitialDelaySeconds: p(10)},
		})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want := DefaultProbes
		want.Startup.FailureThreshold = 60
		want.Liveness.PeriodSeconds, want.Liveness.InitialDelaySeconds = 30, 10
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("probes: -want, +got:\n%s", diff)
		}
	})
	cases := map[string]struct {
		probes *v1alpha1.Probes
		ports  []v1alpha1.NamedPort
		want   []string
	}{
		"PeriodZero": {probes: &v1alpha1.Probes{Readiness: &v1alpha1.ProbeTiming{PeriodSeconds: p(0)}},
			want: []string{"spec.backend.probes.readiness.periodSeconds: Invalid value: 0: must be between 1 and 300, inclusive"}},
		"TimeoutAbovePeriod": {probes: &v1alpha1.Probes{Liveness: &v1alpha1.ProbeTiming{PeriodSeconds: p(5), TimeoutSeconds: p(10)}},
			want: []string{"spec.backend.probes.liveness.timeoutSeconds: Invalid value: 10: must not exceed periodSeconds (5)"}},
		"ThresholdTooHigh": {probes: &v1alpha1.Probes{Startup: &v1alpha1.ProbeTiming{FailureThreshold: p(101)}},
			want: []string{"spec.backend.probes.startup.failureThreshold: Invalid value: 101: must be between 1 and 100, inclusive"}},
		"PortNamedHTTP": {ports: []v1alpha1.NamedPort{{Name: "http", Port: 9000}},
			want: []string{`spec.backend.ports[0].name: Duplicate value: "http"`}},
		"PortTheMainOne": {ports: []v1alpha1.NamedPort{{Name: "admin", Port: 8080}},
			want: []string{"spec.backend.ports[0].port: Duplicate value: 8080"}},
		"PortNameInvalid": {ports: []v1alpha1.NamedPort{{Name: "Admin_Port", Port: 9000}},
			want: []string{`spec.backend.ports[0].name: Invalid value: "Admin_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`}},
		"PortOutOfRange": {ports: []v1alpha1.NamedPort{{Name: "admin", Port: 70000}},
			want: []string{"spec.backend.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, perrs := resolveProbes(field.NewPath("spec", "backend", "probes"), tc.probes)
			_, oerrs := resolvePorts(field.NewPath("spec", "backend", "ports"), tc.ports, 8080)
			var got []string
			for i, e := range append(perrs, oerrs...) {
				got = append(got, e.Error())
				if i < len(tc.want) && strings.HasPrefix(e.Error(), tc.want[i]) {
					got[i] = tc.want[i]
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestExternalSecrets resolves external secrets against the platform's
// store and refuses what ESO could not sync, naming the field.
func TestExternalSecrets(t *testing.T) {
	store := Platform{ExternalSecrets: &v1beta1.ExternalSecrets{StoreName: "vault"}}
	got, errs := resolveExternalSecrets(field.NewPath("spec", "externalSecrets"), []v1alpha1.ExternalSecret{{Name: "stripe", Key: "payments/stripe"}}, store)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff([]ExternalSecret{{Name: "stripe", Key: "payments/stripe", RefreshInterval: "1h", StoreName: "vault", StoreKind: "ClusterSecretStore"}}, got); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
	cases := map[string]struct {
		in       []v1alpha1.ExternalSecret
		platform Platform
		want     []string
	}{
		"NoStore": {in: []v1alpha1.ExternalSecret{{Name: "stripe", Key: "k"}},
			want: []string{"spec.externalSecrets: Forbidden: the platform names no secret store: set externalSecrets.storeName in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)"}},
		"NameTwice": {in: []v1alpha1.ExternalSecret{{Name: "s", Key: "k"}, {Name: "s", Key: "k"}}, platform: store,
			want: []string{`spec.externalSecrets[1].name: Duplicate value: "s"`}},
		"NameInvalid": {in: []v1alpha1.ExternalSecret{{Name: "Stripe", Key: "k"}}, platform: store,
			want: []string{`spec.externalSecrets[0].name: Invalid value: "Stripe": a lowercase RFC 1123 subdomain`}},
		"KeyMissing": {in: []v1alpha1.ExternalSecret{{Name: "s"}}, platform: store,
			want: []string{`spec.externalSecrets[0].key: Invalid value: "": must be the secret's key in the store, 1 to 1024 characters, such as payments/stripe`}},
		"IntervalInvalid": {in: []v1alpha1.ExternalSecret{{Name: "s", Key: "k", RefreshInterval: "1d"}}, platform: store,
			want: []string{`spec.externalSecrets[0].refreshInterval: Invalid value: "1d": must be a duration such as 1h, 15m or 30s`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, errs := resolveExternalSecrets(field.NewPath("spec", "externalSecrets"), tc.in, tc.platform)
			var got []string
			for i, e := range errs {
				got = append(got, e.Error())
				if i < len(tc.want) && strings.HasPrefix(e.Error(), tc.want[i]) {
					got[i] = tc.want[i]
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors: -want, +got:\n%s", diff)
			}
		})
	}
	for _, in := range []struct {
		store v1beta1.ExternalSecrets
		want  string
	}{
		{v1beta1.ExternalSecrets{}, "externalSecrets.storeName: Required value: the name of the SecretStore or ClusterSecretStore"},
		{v1beta1.ExternalSecrets{StoreName: "vault", StoreKind: "Vault"}, `externalSecrets.storeKind: Unsupported value: "Vault": supported values: "ClusterSecretStore", "SecretStore"`},
	} {
		errs := externalSecretsInput(&in.store)
		if len(errs) != 1 || errs[0].Error() != in.want {
			t.Errorf("externalSecretsInput(%+v) = %v, want %s", in.store, errs, in.want)
		}
	}
}
