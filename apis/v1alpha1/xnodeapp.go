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
	// +kubebuilder:validation:Enum=development;qa;production
	Environment string `json:"environment,omitempty"`
	// The owning team, such as team-payments. Set as the fullstack.io/owner
	// label.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	Owner string `json:"owner"`
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
	// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || has(self.host)",message="spec.ingress.host is required when the ingress is enabled"
	Ingress Ingress `json:"ingress,omitempty"`
}

// NodeAppDatabase is an XNodeApp's database.
type NodeAppDatabase struct {
	Database `json:",inline"`
	// Database size: instances, storage and resources (table in README).
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
