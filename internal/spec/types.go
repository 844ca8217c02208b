// Package spec reads a composite resource's spec into typed values, fills in
// defaults, and validates it, so that every problem is reported with its
// field path before anything is built.
package spec

// The types below mirror the XRD schemas in package/. Pointers mark fields
// whose absence matters (a default depends on other fields).

// EnvVar is one plain environment variable for a container.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ResourceList is a CPU and memory quantity pair.
type ResourceList struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// Resources are a container's requests and limits.
type Resources struct {
	Requests *ResourceList `json:"requests,omitempty"`
	Limits   *ResourceList `json:"limits,omitempty"`
}

// Workload is a frontend or backend: one container image behind a Service.
type Workload struct {
	Image      string     `json:"image"`
	Port       *int64     `json:"port,omitempty"`
	Replicas   *int64     `json:"replicas,omitempty"`
	Resources  *Resources `json:"resources,omitempty"`
	Env        []EnvVar   `json:"env,omitempty"`
	HealthPath string     `json:"healthPath,omitempty"`
}

// Database is the application's PostgreSQL database.
type Database struct {
	Name  string `json:"name,omitempty"`
	Owner string `json:"owner,omitempty"`
	Size  string `json:"size,omitempty"`
	// Engine is postgres, the one engine there is; the field exists so that
	// a form can show it and a later engine can be added without a new API.
	Engine   string `json:"engine,omitempty"`
	Version  string `json:"version,omitempty"`
	Provider string `json:"provider,omitempty"`
	Region   string `json:"region,omitempty"`
	// Protection keeps the database when the XR is deleted and turns on
	// deletion protection, final snapshots and backups: Enabled, Disabled,
	// or Default (on in production, and wherever the existing database
	// already is). A tri-state rather than a boolean, so that a form that
	// sends an untouched checkbox as false cannot opt out by accident.
	Protection string `json:"protection,omitempty"`
	// AllowProviderChange lets a change of Provider replace (delete) an
	// existing database.
	AllowProviderChange bool `json:"allowProviderChange,omitempty"`
}

// TLS asks cert-manager for a certificate for the Ingress host.
type TLS struct {
	Enabled    bool   `json:"enabled,omitempty"`
	IssuerName string `json:"issuerName,omitempty"`
	IssuerKind string `json:"issuerKind,omitempty"`
}

// Ingress exposes the frontend at / and the backend at /api.
type Ingress struct {
	Enabled   *bool  `json:"enabled,omitempty"`
	Host      string `json:"host,omitempty"`
	ClassName string `json:"className,omitempty"`
	TLS       *TLS   `json:"tls,omitempty"`
}

// NodeApp is the spec of an XNodeApp.
type NodeApp struct {
	Environment string   `json:"environment,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	Frontend    Workload `json:"frontend"`
	Backend     Workload `json:"backend"`
	Database    Database `json:"database"`
	Ingress     Ingress  `json:"ingress"`
}

// FullStackService is the spec of an XFullStackService: one service with
// progressive delivery, an optional frontend, and a database sized for its
// environment.
type FullStackService struct {
	Owner        string       `json:"owner,omitempty"`
	Description  string       `json:"description,omitempty"`
	Language     string       `json:"language,omitempty"`
	Framework    string       `json:"framework,omitempty"`
	Environment  string       `json:"environment,omitempty"`
	Service      Workload     `json:"service"`
	Frontend     *Workload    `json:"frontend,omitempty"`
	Database     Database     `json:"database"`
	Ingress      Ingress      `json:"ingress"`
	Delivery     Delivery     `json:"delivery"`
	Monitoring   Monitoring   `json:"monitoring"`
	Autoscaling  Autoscaling  `json:"autoscaling"`
	Availability Availability `json:"availability"`
}

// Delivery says how a new version of the service replaces the old one.
type Delivery struct {
	// Strategy: rollingUpdate (a Deployment), canary or blueGreen (an Argo
	// Rollout). Defaults to the environment's profile.
	Strategy string `json:"strategy,omitempty"`
	// Steps of a canary. Defaults to 10% → pause → [analysis] → 50% →
	// pause → 100%.
	Steps []CanaryStep `json:"steps,omitempty"`
	// AutoPromotion of a blueGreen preview once it is ready (and its
	// analysis passed). Defaults to true.
	AutoPromotion *bool    `json:"autoPromotion,omitempty"`
	Analysis      Analysis `json:"analysis"`
}

// CanaryStep is one step of a canary: exactly one field is set.
type CanaryStep struct {
	SetWeight *int64        `json:"setWeight,omitempty"`
	Pause     *Pause        `json:"pause,omitempty"`
	Analysis  *StepAnalysis `json:"analysis,omitempty"`
}

// Pause holds a canary for a duration, or until promoted when empty.
type Pause struct {
	Duration string `json:"duration,omitempty"`
}

// StepAnalysis runs the service's analysis at this step. It has no fields:
// the analysis is configured once, in spec.delivery.analysis.
type StepAnalysis struct{}

// Analysis gates a canary or a blueGreen promotion on the success rate the
// service's Prometheus reports.
type Analysis struct {
	// Enabled defaults to the environment's profile (on in production);
	// steps that hold an analysis turn it on.
	Enabled *bool `json:"enabled,omitempty"`
	// SuccessRate is the lowest acceptable share of non-5xx responses, in
	// (0, 1].
	SuccessRate       *float64 `json:"successRate,omitempty"`
	PrometheusAddress string   `json:"prometheusAddress,omitempty"`
	Query             string   `json:"query,omitempty"`
	Interval          string   `json:"interval,omitempty"`
	Count             *int64   `json:"count,omitempty"`
	FailureLimit      *int64   `json:"failureLimit,omitempty"`
}

// Monitoring asks the Prometheus Operator to scrape the service and, for an
// in-cluster database, PostgreSQL.
type Monitoring struct {
	Enabled bool   `json:"enabled,omitempty"`
	Path    string `json:"path,omitempty"`
}

// Autoscaling runs a HorizontalPodAutoscaler for the service.
type Autoscaling struct {
	Enabled                        *bool  `json:"enabled,omitempty"`
	MinReplicas                    *int64 `json:"minReplicas,omitempty"`
	MaxReplicas                    *int64 `json:"maxReplicas,omitempty"`
	TargetCPUUtilizationPercentage *int64 `json:"targetCPUUtilizationPercentage,omitempty"`
}

// Availability keeps the service up through node drains and failures.
type Availability struct {
	// PodDisruptionBudget lets at most one pod of the service be evicted at
	// a time.
	PodDisruptionBudget *bool `json:"podDisruptionBudget,omitempty"`
	// Spread prefers to place pods on different nodes and zones.
	Spread *bool `json:"spread,omitempty"`
}
