// Package v1beta1 contains the input type for this Function.
// +kubebuilder:object:generate=true
// +groupName=fullstack.fn.crossplane.io
// +versionName=v1beta1
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// IngressReadiness says when a composed Ingress counts as ready.
// +kubebuilder:validation:Enum=AddressAssigned;Exists
type IngressReadiness string

const (
	// IngressReadyWhenAddressAssigned waits until the ingress controller
	// publishes an address in status.loadBalancer.ingress.
	IngressReadyWhenAddressAssigned IngressReadiness = "AddressAssigned"
	// IngressReadyWhenExists counts the Ingress ready once it is observed.
	// Use it where the ingress controller never publishes an address.
	IngressReadyWhenExists IngressReadiness = "Exists"
)

// Input holds platform-wide settings for the function, set once in the
// Composition by a platform engineer. Every field is optional.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// IngressClassName is used for composed Ingresses whose XR does not set
	// spec.ingress.className. Empty means the cluster's default class.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	IngressClassName string `json:"ingressClassName,omitempty"`

	// IngressReadiness decides when a composed Ingress is ready:
	// AddressAssigned (default) waits for the ingress controller to publish
	// an address; Exists is ready as soon as the Ingress is observed.
	// +optional
	// +kubebuilder:default=AddressAssigned
	IngressReadiness IngressReadiness `json:"ingressReadiness,omitempty"`
}
