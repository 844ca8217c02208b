package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// XNodeApp is a Node.js application with a frontend, an API backend and a
// PostgreSQL database.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=crossplane;composite;fullstack
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=".status.url"
// +kubebuilder:printcolumn:name="Environment",type=string,JSONPath=".spec.environment"
type XNodeApp struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// What the application runs and how it is exposed.
	Spec XNodeAppSpec `json:"spec"`
	// What the function reports about the application.
	// +optional
	Status XNodeAppStatus `json:"status,omitempty"`
}

// XNodeAppSpec says what the application runs and how it is exposed.
type XNodeAppSpec struct {
	// Where the application runs. production defaults to two replicas per
	// workload.
	// +optional
	// +kubebuilder:default=development
	// +kubebuilder:validation:Enum=development;staging;production
	Environment string `json:"environment,omitempty"`
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
	// The web frontend, served at / on the ingress host.
	Frontend Frontend `json:"frontend"`
	// The API, served at /api on the ingress host and wired to the
	// database.
	Backend Backend `json:"backend"`
	// The PostgreSQL database, in the cluster (CloudNativePG) or in a
	// cloud. The backend receives DATABASE_* variables, including
	// DATABASE_URL and DATABASE_SSLMODE, from the connection Secret.
	// +optional
	// +kubebuilder:default={}
	Database NodeAppDatabase `json:"database,omitempty"`
	// Exposes the frontend at / and the backend at /api on one host.
	// +optional
	// +kubebuilder:default={}
	Ingress Ingress `json:"ingress,omitempty"`
	// Scrape metrics with the Prometheus Operator: a ServiceMonitor for the
	// backend and, for an in-cluster database, a PodMonitor for PostgreSQL.
	// +optional
	// +kubebuilder:default={}
	Monitoring Monitoring `json:"monitoring,omitempty"`
	// NetworkPolicies let the application's pods talk only to what they
	// need: the ingress controller to the frontend and the API, the
	// frontend to the API, the API to its database, DNS, and Prometheus
	// when monitoring is on; everything else is denied. Default follows the
	// platform (on unless the function Input turns it off); Enabled or
	// Disabled decide.
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

// NodeAppDatabase is an XNodeApp's database.
type NodeAppDatabase struct {
	Database `json:",inline"`
	// Database size: instances, storage and resources (table in docs/databases.md).
	// Storage never shrinks.
	// +optional
	// +kubebuilder:default=small
	// +kubebuilder:validation:Enum=small;medium;large
	Size string `json:"size,omitempty"`
}

// XNodeAppStatus is what the function reports about the application.
type XNodeAppStatus struct {
	// Where the application is reached.
	// +optional
	URL string `json:"url,omitempty"`
	// How the backend reaches its database.
	// +optional
	Database *DatabaseStatus `json:"database,omitempty"`
}
