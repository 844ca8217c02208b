package v1alpha1

// Patterns the schema and the function's own validation share. A marker
// cannot name a Go constant, so each marker below spells its pattern out;
// TestPatternsMatchSchema checks that the generated XRDs carry these.
const (
	// ImagePattern matches a container image reference: an optional
	// registry host (with port), a lower-case repository path, an optional
	// tag and an optional sha256 digest.
	ImagePattern = `^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`
	// IdentifierPattern matches a PostgreSQL database or role name that
	// needs no quoting.
	IdentifierPattern = `^[a-z_][a-z0-9_]{0,62}$`
	// WritablePathPattern matches an absolute file system path of a
	// writable directory.
	WritablePathPattern = `^(/[A-Za-z0-9._@+-]+)+$`
	// HTTPPathPattern matches an absolute HTTP path.
	HTTPPathPattern = `^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`
	// RegionPattern matches a cloud region or location name.
	RegionPattern = `^[a-z][a-z0-9-]{1,40}[a-z0-9]$`
	// DurationPattern matches an Argo Rollouts duration: a number and a
	// unit.
	DurationPattern = `^[1-9][0-9]{0,5}(s|m|h)$`
	// OwnerPattern matches an owner: a team name such as team-shop, or a
	// Backstage entity reference such as group:default/team-shop (what an
	// OwnerPicker returns).
	OwnerPattern = `^([A-Za-z]+:)?([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
)

// Limits the schema and the function's own validation share.
const (
	// MaxReplicas bounds a workload's spec replicas.
	MaxReplicas = 50
	// MaxAutoscalingReplicas bounds an autoscaler's minimum and maximum.
	MaxAutoscalingReplicas = 100
	// MaxDescriptionLength bounds spec.description, which is recorded as an
	// annotation.
	MaxDescriptionLength = 512
)

// Values of a three-way switch: Default leaves the decision to the
// environment profile. A form sends an untouched field as nothing, never as
// an opinion, which a boolean cannot do.
const (
	SwitchDefault  = "Default"
	SwitchEnabled  = "Enabled"
	SwitchDisabled = "Disabled"
)

// Frontend is a web frontend, served at / on the ingress host.
type Frontend struct {
	Container        `json:",inline"`
	FrontendSettings `json:",inline"`
}

// FrontendSettings are a frontend's port and health path.
type FrontendSettings struct {
	// Port the container listens on; also passed to it as PORT.
	// +optional
	// +kubebuilder:default=3000
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int64 `json:"port,omitempty"`
	// HTTP path for the startup probe, and for readiness and liveness
	// unless readinessPath, livenessPath or the framework say otherwise.
	// +optional
	// +kubebuilder:default="/"
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`
	HealthPath string `json:"healthPath,omitempty"`
}

// Backend is an XNodeApp's API, served at /api on the ingress host and
// wired to the database.
type Backend struct {
	Container `json:",inline"`
	// Port the container listens on; also passed to it as PORT.
	// +optional
	// +kubebuilder:default=3001
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int64 `json:"port,omitempty"`
	// HTTP path for the startup probe, and for readiness and liveness
	// unless readinessPath, livenessPath or the framework say otherwise.
	// +optional
	// +kubebuilder:default="/healthz"
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`
	HealthPath string `json:"healthPath,omitempty"`
}

// Database is the application's PostgreSQL database: the fields both
// composites share.
type Database struct {
	// Name of the application database.
	// +optional
	// +kubebuilder:default=app
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z_][a-z0-9_]{0,62}$`
	Name string `json:"name,omitempty"`
	// Role that owns the database; the backend connects as this role.
	// +optional
	// +kubebuilder:default=app
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z_][a-z0-9_]{0,62}$`
	Owner string `json:"owner,omitempty"`
	// PostgreSQL major version. It can be raised, never lowered.
	// +optional
	// +kubebuilder:default="17"
	// +kubebuilder:validation:Enum="14";"15";"16";"17";"18"
	// +kubebuilder:validation:XValidation:rule="int(self) >= int(oldSelf)",message="the PostgreSQL major version cannot be lowered"
	Version string `json:"version,omitempty"`
	// Where PostgreSQL runs: cnpg (CloudNativePG in the cluster), aws
	// (RDS), gcp (Cloud SQL) or azure (Flexible Server). Changing it on an
	// existing database is refused unless allowProviderChange is true.
	// +optional
	// +kubebuilder:default=cnpg
	// +kubebuilder:validation:Enum=cnpg;aws;gcp;azure
	Provider string `json:"provider,omitempty"`
	// Cloud region or location, such as eu-west-1, europe-west1 or
	// westeurope. Defaults to the platform's region for the provider
	// (function Input).
	// +optional
	// +kubebuilder:validation:MaxLength=42
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{1,40}[a-z0-9]$`
	Region string `json:"region,omitempty"`
	// Keep the database when the XR is deleted, with deletion protection, a
	// final snapshot and backups. Default: on in production and for a
	// database that is already protected. Enabled or Disabled decide
	// explicitly; Disabled is the opt-out. A tri-state rather than a
	// boolean, so that a form that sends an untouched checkbox as false
	// cannot opt out by accident.
	// +optional
	// +kubebuilder:default=Default
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Protection string `json:"protection,omitempty"`
	// Set to true, after migrating the data, to let a change of provider
	// replace (and delete) the existing database.
	// +optional
	// +kubebuilder:default=false
	AllowProviderChange bool `json:"allowProviderChange,omitempty"`
	// Storage per instance, such as 25Gi; overrides the size's storage. It
	// can grow, never shrink. Mapped to each provider's unit: GiB on RDS
	// and Cloud SQL, and on Flexible Server the next storage tier (MiB).
	// +optional
	// +kubebuilder:validation:MaxLength=12
	// +kubebuilder:validation:Pattern=`^[1-9][0-9]{0,6}(Mi|Gi|Ti)$`
	// +kubebuilder:validation:XValidation:rule="quantity(self).compareTo(quantity(oldSelf)) >= 0",message="spec.database.storage cannot shrink: storage can only grow"
	Storage string `json:"storage,omitempty"`
	// Migration runs a command with the new image before a new version of
	// the backend serves: the workload keeps its current image until the
	// migration Job has succeeded.
	// +optional
	Migration *Migration `json:"migration,omitempty"`
}

// Migration is the schema migration run before a new version of the
// backend.
type Migration struct {
	// Command run in the new image, with the backend's database
	// environment, such as ["npm", "run", "migrate"]. Empty: no migration.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=1024
	Command []string `json:"command,omitempty"`
	// Seconds the migration may take before it counts as failed. Default:
	// 600.
	// +optional
	// +kubebuilder:validation:Minimum=30
	// +kubebuilder:validation:Maximum=86400
	TimeoutSeconds *int64 `json:"timeoutSeconds,omitempty"`
}

// TLS asks cert-manager for a certificate for the Ingress host.
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'Enabled' || has(self.issuerName)",message="spec.ingress.tls.issuerName is required when spec.ingress.tls.mode is Enabled"
type TLS struct {
	// Whether to request a certificate and serve HTTPS: Enabled or
	// Disabled; Default is Disabled.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// Name of the cert-manager issuer, such as letsencrypt-prod.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	IssuerName string `json:"issuerName,omitempty"`
	// Kind of the issuer.
	// +optional
	// +kubebuilder:default=ClusterIssuer
	// +kubebuilder:validation:Enum=ClusterIssuer;Issuer
	IssuerKind string `json:"issuerKind,omitempty"`
}

// Ingress exposes the application on one host: the frontend at / and the
// API at /api, or a lone service at /.
type Ingress struct {
	// Whether to compose an Ingress: Enabled or Disabled; Default is
	// Enabled.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// DNS name the application is served at, such as shop.example.com.
	// Defaults to <name>.<domain> when the platform sets a domain (function
	// Input).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Host string `json:"host,omitempty"`
	// IngressClass to use. Defaults to the platform's class (function
	// Input), else the cluster default.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	ClassName string `json:"className,omitempty"`
	// Serve HTTPS with a certificate from cert-manager.
	// +optional
	TLS *TLS `json:"tls,omitempty"`
}

// Worker is a background process of the application, such as a queue
// consumer: the API's image, environment, files and registry credentials
// unless it sets its own, its own command, no Service and no ingress.
type Worker struct {
	// Name of the worker, such as queue; its Deployment is <app>-<name>.
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Container image. Default: the API's (and, while a migration runs, the
	// one the API still serves).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`
	Image string `json:"image,omitempty"`
	// Number of pods. Default: 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=50
	Replicas *int64 `json:"replicas,omitempty"`
	Process  `json:",inline"`
	// Give the worker the API's database connection (DATABASE_* variables,
	// CA bundle) and let it reach the database. Default: Disabled.
	// +optional
	// +kubebuilder:default=Disabled
	// +kubebuilder:validation:Enum=Enabled;Disabled
	Database string `json:"database,omitempty"`
}

// Schedule is a job of the application run on a schedule (a CronJob), such
// as a nightly report: the API's image, environment, files and registry
// credentials unless it sets its own, and its own command.
type Schedule struct {
	// Name of the job, such as nightly-report; its CronJob is
	// <app>-<name>.
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// When it runs, in cron syntax, such as "0 3 * * *" (every day at
	// 03:00), or @hourly, @daily, @weekly, @monthly.
	// +kubebuilder:validation:MaxLength=100
	Schedule string `json:"schedule"`
	// Time zone of the schedule, such as Europe/Berlin. Default: the
	// controller's, usually UTC.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`
	TimeZone string `json:"timeZone,omitempty"`
	// Container image. Default: the API's (and, while a migration runs, the
	// one the API still serves).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`
	Image   string `json:"image,omitempty"`
	Process `json:",inline"`
	// What happens when a run is due while the last one still runs: Forbid
	// skips it (default), Allow runs both, Replace stops the old one.
	// +optional
	// +kubebuilder:default=Forbid
	// +kubebuilder:validation:Enum=Forbid;Allow;Replace
	ConcurrencyPolicy string `json:"concurrencyPolicy,omitempty"`
	// Seconds a run may take before it counts as failed. Default: 3600.
	// +optional
	// +kubebuilder:validation:Minimum=30
	// +kubebuilder:validation:Maximum=86400
	TimeoutSeconds *int64 `json:"timeoutSeconds,omitempty"`
	// Finished runs kept, to read their logs. Default: 3.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=20
	SuccessfulJobsHistoryLimit *int64 `json:"successfulJobsHistoryLimit,omitempty"`
	// Failed runs kept. Default: 3.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=20
	FailedJobsHistoryLimit *int64 `json:"failedJobsHistoryLimit,omitempty"`
	// Give the job the API's database connection (DATABASE_* variables, CA
	// bundle) and let it reach the database. Default: Disabled.
	// +optional
	// +kubebuilder:default=Disabled
	// +kubebuilder:validation:Enum=Enabled;Disabled
	Database string `json:"database,omitempty"`
}

// ExternalSecret is a Secret the External Secrets Operator keeps in sync
// from the platform's secret store (function Input externalSecrets), so a
// team's secrets stay in its vault and never pass through Git.
type ExternalSecret struct {
	// Name of the Secret it creates in the application's namespace, which
	// env valueFrom, envFrom and files then name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
	// Key of the secret in the store, such as payments/stripe: each of its
	// properties becomes a key of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Key string `json:"key"`
	// How often the store is read again, such as 1h or 15m. Default: 1h.
	// +optional
	// +kubebuilder:validation:Pattern=`^[1-9][0-9]{0,5}(s|m|h)$`
	RefreshInterval string `json:"refreshInterval,omitempty"`
}

// Identity is who the application's pods are: a ServiceAccount of their own
// (named after the application, created by the function) and the cloud
// identity it maps to through workload identity, so the pods reach cloud
// services (S3, GCS, queues, IAM database login) without keys.
type Identity struct {
	// AWS IAM role the pods assume (IRSA): a role ARN such as
	// arn:aws:iam::123456789012:role/payments, or a role name in the
	// platform's account (function Input identity.aws.accountId).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^(arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}|[A-Za-z0-9+=,.@_-]{1,64})$`
	AWSRole string `json:"awsRole,omitempty"`
	// Google service account the pods act as (GKE Workload Identity): an
	// email such as payments@acme-prod.iam.gserviceaccount.com, or a name
	// in the platform's project (function Input identity.gcp.project).
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{4,28}[a-z0-9](@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com)?$`
	GCPServiceAccount string `json:"gcpServiceAccount,omitempty"`
	// Client ID of the Azure managed identity the pods use (Azure Workload
	// Identity).
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	AzureClientID string `json:"azureClientId,omitempty"`
	// Mount a Kubernetes API token into the pods: Enabled only for an
	// application that calls the Kubernetes API. Default: Disabled.
	// +optional
	// +kubebuilder:default=Disabled
	// +kubebuilder:validation:Enum=Enabled;Disabled
	KubernetesAPIToken string `json:"kubernetesAPIToken,omitempty"`
}

// DatabaseStatus says how the backend reaches its database.
type DatabaseStatus struct {
	// Where the database runs.
	// +optional
	Provider string `json:"provider,omitempty"`
	// Database endpoint, once known.
	// +optional
	Host string `json:"host,omitempty"`
	// Database port.
	// +optional
	Port int64 `json:"port,omitempty"`
	// Name of the application database.
	// +optional
	Name string `json:"name,omitempty"`
	// The connection Secret the backend reads, with the same keys for every
	// provider: host, port, username, password, dbname, uri, sslmode,
	// sslrootcert, jdbcUrl.
	// +optional
	SecretName string `json:"secretName,omitempty"`
}
