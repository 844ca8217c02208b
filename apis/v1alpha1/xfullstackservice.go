package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// XFullStackService is a service with progressive delivery, an optional
// frontend and a PostgreSQL database sized for its environment.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=crossplane;composite;fullstack
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=".status.url"
// +kubebuilder:printcolumn:name="Environment",type=string,JSONPath=".spec.environment"
// +kubebuilder:printcolumn:name="Strategy",type=string,JSONPath=".status.delivery.strategy"
// +kubebuilder:printcolumn:name="Delivery",type=string,JSONPath=".status.delivery.phase"
type XFullStackService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// What the service runs, how it is delivered and exposed.
	Spec XFullStackServiceSpec `json:"spec"`
	// What the function reports about the service.
	// +optional
	Status XFullStackServiceStatus `json:"status,omitempty"`
}

// XFullStackServiceSpec says what the service runs, how it is delivered and
// exposed.
type XFullStackServiceSpec struct {
	// The owning team: a name such as team-payments, or a Backstage entity
	// reference such as group:default/team-payments. The fullstack.io/owner
	// label gets the name; a reference is kept in the fullstack.io/owner-ref
	// annotation. Required, or derived from the terasky.backstage.io/owner
	// annotation a Backstage form writes: the function refuses an XR with
	// neither, naming spec.owner. (A schema cannot require it: validation
	// rules do not see annotations.)
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^([A-Za-z]+:)?([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	Owner string `json:"owner,omitempty"`
	// What the service does. Recorded as the fullstack.io/description
	// annotation on its workload.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Description string `json:"description,omitempty"`
	// Programming language. Recorded as the fullstack.io/language label.
	// +optional
	// +kubebuilder:validation:Enum=nodejs;typescript;python;go;java;kotlin;dotnet;ruby;php;rust;other
	Language string `json:"language,omitempty"`
	// Framework. Recorded as the fullstack.io/framework label.
	// +optional
	// +kubebuilder:validation:Enum=express;nestjs;nextjs;fastapi;django;flask;gin;echo;spring-boot;quarkus;aspnet;rails;other
	Framework string `json:"framework,omitempty"`
	// Where the service runs; it chooses the defaults (docs/xfullstackservice.md:
	// environment profiles).
	// +optional
	// +kubebuilder:default=development
	// +kubebuilder:validation:Enum=development;staging;production
	Environment string `json:"environment,omitempty"`
	// The API: an HTTP service at / on the ingress host (at /api when
	// there is a frontend), wired to the database. Named backend on both
	// composites.
	Backend ServiceWorkload `json:"backend"`
	// An optional web frontend, served at / on the ingress host; the
	// service then moves to /api.
	// +optional
	Frontend *ServiceFrontend `json:"frontend,omitempty"`
	// The PostgreSQL database, in the cluster (CloudNativePG) or in a
	// cloud. The backend receives DATABASE_* variables, including
	// DATABASE_URL and DATABASE_SSLMODE, from the connection Secret.
	// +optional
	// +kubebuilder:default={}
	Database ServiceDatabase `json:"database,omitempty"`
	// Exposes the service (and the frontend) on one host. A canary splits
	// its traffic on this Ingress through ingress-nginx.
	// +optional
	// +kubebuilder:default={}
	Ingress Ingress `json:"ingress,omitempty"`
	// How a new version replaces the old one. Defaults come from the
	// environment profile (docs/xfullstackservice.md).
	// +optional
	// +kubebuilder:default={}
	Delivery Delivery `json:"delivery,omitempty"`
	// Scrape metrics with the Prometheus Operator: a ServiceMonitor for the
	// service and, for an in-cluster database, a PodMonitor for PostgreSQL.
	// +optional
	// +kubebuilder:default={}
	Monitoring Monitoring `json:"monitoring,omitempty"`
	// A HorizontalPodAutoscaler on CPU for the service. Default: on in
	// production.
	// +optional
	Autoscaling Autoscaling `json:"autoscaling,omitempty"`
	// Keep the service up through node drains and failures. Defaults: on in
	// production.
	// +optional
	Availability Availability `json:"availability,omitempty"`
	// NetworkPolicies let the application's pods talk only to what they
	// need: the ingress controller to the frontend and the service, the
	// frontend to the service, the service to its database, DNS, and
	// Prometheus when monitoring is on; everything else is denied. Default
	// follows the platform (on unless the function Input turns it off);
	// Enabled or Disabled decide.
	// +optional
	// +kubebuilder:default=Default
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	NetworkPolicies string `json:"networkPolicies,omitempty"`
	// The pods' ServiceAccount and cloud identity (workload identity).
	// +optional
	Identity *Identity `json:"identity,omitempty"`
	// Background processes of the application (queue consumers), each a
	// Deployment without a Service.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	Workers []Worker `json:"workers,omitempty"`
	// Secrets the External Secrets Operator syncs from the platform's
	// secret store into the application's namespace.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	ExternalSecrets []ExternalSecret `json:"externalSecrets,omitempty"`
	// Jobs run on a schedule, each a CronJob.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	Schedules []Schedule `json:"schedules,omitempty"`
}

// ServiceFrontend is an XFullStackService's optional web frontend: on when
// an image is set, unless mode is Disabled.
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'Enabled' || has(self.image)",message="spec.frontend.image is required when spec.frontend.mode is Enabled"
type ServiceFrontend struct {
	// Whether to run a frontend: Default runs it when an image is set;
	// Disabled keeps the image but runs nothing.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// Container image, such as ghcr.io/acme/web:1.2.3; an image without a
	// registry gets the platform registry (function Input).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`
	Image            string `json:"image,omitempty"`
	Pods             `json:",inline"`
	FrontendSettings `json:",inline"`
}

// On reports whether the frontend runs.
func (f *ServiceFrontend) On() bool {
	if f == nil {
		return false
	}
	return f.Mode != SwitchDisabled && f.Image != ""
}

// ServiceWorkload is an XFullStackService's backend: an HTTP API.
type ServiceWorkload struct {
	Container `json:",inline"`
	// Port the container listens on; also passed to it as PORT.
	// +optional
	// +kubebuilder:default=8080
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

// ServiceDatabase is an XFullStackService's database: its size follows the
// environment profile.
type ServiceDatabase struct {
	Database `json:",inline"`
	// Database engine. postgres is the one there is; the field exists so
	// that a form can show it and a later engine needs no new API.
	// +optional
	// +kubebuilder:default=postgres
	// +kubebuilder:validation:Enum=postgres
	Engine string `json:"engine,omitempty"`
	// Database size (table in docs/databases.md). Defaults to the environment profile:
	// small, or medium in production. Storage never shrinks.
	// +optional
	// +kubebuilder:validation:Enum=small;medium;large
	Size string `json:"size,omitempty"`
}

// Delivery says how a new version of the service replaces the old one.
type Delivery struct {
	// rollingUpdate runs a Deployment; canary and blueGreen run an Argo
	// Rollout. Defaults: rollingUpdate in development, canary in staging and
	// production. A change hands the running pods over; no request goes
	// unserved.
	// +optional
	// +kubebuilder:validation:Enum=rollingUpdate;canary;blueGreen
	Strategy string `json:"strategy,omitempty"`
	// Canary steps, each setting exactly one of setWeight, pause and
	// analysis; weights only increase. Default: 10%, pause 2m, [analysis],
	// 50%, pause 2m, 100%.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Steps []CanaryStep `json:"steps,omitempty"`
	// blueGreen only: Automatic promotes the preview once it is ready and
	// its analysis passed; Manual waits for a person (kubectl argo rollouts
	// promote). Default Automatic.
	// +optional
	// +kubebuilder:validation:Enum=Default;Automatic;Manual
	Promotion string `json:"promotion,omitempty"`
	// Gate promotion on the success rate Prometheus reports. Default: on in
	// production.
	// +optional
	Analysis Analysis `json:"analysis,omitempty"`
}

// CanaryStep is one step of a canary: exactly one of setWeight, pause and
// analysis (true) is set. Every value carries its meaning, so a step
// survives tools that drop empty values (Backstage's claim-template action).
// +kubebuilder:validation:XValidation:rule="[has(self.setWeight), has(self.pause), has(self.analysis) && self.analysis].filter(x, x).size() == 1",message="a step sets exactly one of setWeight, pause, analysis: true"
type CanaryStep struct {
	// Share of traffic, in percent, sent to the new version.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SetWeight *int64 `json:"setWeight,omitempty"`
	// Hold the canary for a duration such as 30s, 5m or 1h, or until
	// promoted (kubectl argo rollouts promote) with untilPromoted.
	// +optional
	// +kubebuilder:validation:Pattern=`^([1-9][0-9]{0,5}(s|m|h)|untilPromoted)$`
	Pause string `json:"pause,omitempty"`
	// Run the analysis (spec.delivery.analysis) here; the canary stops and
	// rolls back when it fails.
	// +optional
	Analysis *bool `json:"analysis,omitempty"`
}

// Analysis gates a canary or a blueGreen promotion on the success rate the
// service's Prometheus reports.
type Analysis struct {
	// Whether to analyse: Default follows the environment profile (on in
	// production), and is on when a step holds an analysis.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// Lowest acceptable share of non-5xx responses, such as 0.99. Default
	// 0.95.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	SuccessRate *float64 `json:"successRate,omitempty"`
	// Prometheus to query. Defaults to the platform Prometheus (function
	// Input).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	PrometheusAddress string `json:"prometheusAddress,omitempty"`
	// PromQL returning the success rate as one number;
	// {{args.service-name}} and {{args.namespace}} name the Service under
	// test. Default: ingress-nginx requests without a 5xx status (docs/delivery.md).
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query,omitempty"`
	// Time between measurements, and the rate window of the default query.
	// Default 1m.
	// +optional
	// +kubebuilder:validation:Pattern=`^[1-9][0-9]{0,5}(s|m|h)$`
	Interval string `json:"interval,omitempty"`
	// Number of measurements. Default 5.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Count *int64 `json:"count,omitempty"`
	// Failed measurements tolerated; one more fails the analysis. Default 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	FailureLimit *int64 `json:"failureLimit,omitempty"`
}

// Monitoring asks the Prometheus Operator to scrape the service and, for an
// in-cluster database, PostgreSQL.
type Monitoring struct {
	// Whether to compose the monitors: Enabled or Disabled; Default is
	// Disabled.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// HTTP path of the service's metrics.
	// +optional
	// +kubebuilder:default="/metrics"
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`
	Path string `json:"path,omitempty"`
}

// Autoscaling runs a HorizontalPodAutoscaler for the service.
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || !has(self.maxReplicas) || self.maxReplicas >= self.minReplicas",message="spec.autoscaling.maxReplicas must be greater than or equal to spec.autoscaling.minReplicas"
type Autoscaling struct {
	// Whether to autoscale: Default follows the environment profile (on in
	// production); setting a bound turns it on.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// Fewest pods. Defaults to the service's replicas.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MinReplicas *int64 `json:"minReplicas,omitempty"`
	// Most pods. Default 10, and never below minReplicas.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxReplicas *int64 `json:"maxReplicas,omitempty"`
	// Average CPU use, in percent of the request, to scale at. Default 70.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	TargetCPUUtilizationPercentage *int64 `json:"targetCPUUtilizationPercentage,omitempty"`
}

// Availability keeps the service up through node drains and failures.
type Availability struct {
	// A disruption budget (evict at most one pod at a time) and pods spread
	// over nodes and zones: Default follows the environment profile (on in
	// production).
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Mode string `json:"mode,omitempty"`
	// Evict at most one pod of the service at a time: Default follows
	// mode.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	PodDisruptionBudget string `json:"podDisruptionBudget,omitempty"`
	// Prefer one pod per node and an even spread over zones: Default
	// follows mode.
	// +optional
	// +kubebuilder:validation:Enum=Default;Enabled;Disabled
	Spread string `json:"spread,omitempty"`
}

// XFullStackServiceStatus is what the function reports about the service.
type XFullStackServiceStatus struct {
	// Where the service is reached.
	// +optional
	URL string `json:"url,omitempty"`
	// How the backend reaches its database.
	// +optional
	Database *DatabaseStatus `json:"database,omitempty"`
	// How the service is delivered and where its latest release stands.
	// +optional
	Delivery *DeliveryStatus `json:"delivery,omitempty"`
}

// DeliveryStatus says how the service is delivered and where its latest
// release stands.
type DeliveryStatus struct {
	// rollingUpdate, canary or blueGreen.
	// +optional
	Strategy string `json:"strategy,omitempty"`
	// The kind of the workload that runs the service: Deployment or
	// Rollout.
	// +optional
	WorkloadKind string `json:"workloadKind,omitempty"`
	// The name of the workload.
	// +optional
	WorkloadName string `json:"workloadName,omitempty"`
	// The image of the workload's pod template: spec.backend.image, unless
	// a migration holds the one that serves (a Rollout's template takes the
	// new image at once and rolls it out in steps).
	// +optional
	ObservedImage string `json:"observedImage,omitempty"`
	// Pending, Progressing, Paused, Degraded or Healthy (for a Rollout, its
	// own phase).
	// +optional
	Phase string `json:"phase,omitempty"`
	// Why the workload is in its phase, such as the canary step it is
	// paused at or the analysis that failed.
	// +optional
	Message string `json:"message,omitempty"`
	// Canary step the Rollout is at, from 0 (steps once every step is
	// done).
	// +optional
	Step *int64 `json:"step,omitempty"`
	// How many steps the canary has.
	// +optional
	Steps int64 `json:"steps,omitempty"`
	// Whether promotion is gated on an analysis.
	// +optional
	Analysis bool `json:"analysis"`
	// Set while the service moves between a Deployment and a Rollout: what
	// the handover waits for.
	// +optional
	Handover string `json:"handover,omitempty"`
}
