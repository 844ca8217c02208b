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
	Name     string `json:"name,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Size     string `json:"size,omitempty"`
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
