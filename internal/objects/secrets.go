package objects

import (
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// The fields of the External Secrets Operator's ExternalSecret
// (external-secrets.io/v1, v2.9.0, ../shared/crds) this function sets.

// ExternalSecretAPIVersion is the version ESO v2.9.0 serves and stores.
const ExternalSecretAPIVersion = "external-secrets.io/v1"

// ExternalSecret asks ESO to keep a Secret in sync from a store.
type ExternalSecret struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   CRDMeta            `json:"metadata"`
	Spec       ExternalSecretSpec `json:"spec"`
}

// ExternalSecretSpec is an ExternalSecret's spec.
type ExternalSecretSpec struct {
	RefreshInterval string               `json:"refreshInterval"`
	SecretStoreRef  SecretStoreRef       `json:"secretStoreRef"`
	Target          ExternalSecretTarget `json:"target"`
	DataFrom        []ExternalSecretFrom `json:"dataFrom"`
}

// SecretStoreRef names the store.
type SecretStoreRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// ExternalSecretTarget is the Secret ESO writes: owned by the
// ExternalSecret, so it goes with it.
type ExternalSecretTarget struct {
	Name           string `json:"name"`
	CreationPolicy string `json:"creationPolicy"`
	DeletionPolicy string `json:"deletionPolicy"`
}

// ExternalSecretFrom takes every property of one key of the store.
type ExternalSecretFrom struct {
	Extract ExternalSecretExtract `json:"extract"`
}

// ExternalSecretExtract names the key.
type ExternalSecretExtract struct {
	Key string `json:"key"`
}

// ComponentSecrets labels the external secrets.
const ComponentSecrets = "secrets"

// ExternalSecretOf returns the ExternalSecret of one of the application's
// external secrets: the Secret of the same name, every property of the
// store's key a key of it, owned by the ExternalSecret (creationPolicy
// Owner) and kept if the store loses the key (deletionPolicy Retain), so a
// store outage never empties a running application's Secret.
func ExternalSecretOf(m Meta, e resolve.ExternalSecret) *ExternalSecret {
	return &ExternalSecret{
		APIVersion: ExternalSecretAPIVersion,
		Kind:       "ExternalSecret",
		Metadata:   CRDMeta{Name: e.Name, Namespace: m.Namespace, Labels: m.Labels(ComponentSecrets)},
		Spec: ExternalSecretSpec{
			RefreshInterval: e.RefreshInterval,
			SecretStoreRef:  SecretStoreRef{Name: e.StoreName, Kind: e.StoreKind},
			Target:          ExternalSecretTarget{Name: e.Name, CreationPolicy: "Owner", DeletionPolicy: "Retain"},
			DataFrom:        []ExternalSecretFrom{{Extract: ExternalSecretExtract{Key: e.Key}}},
		},
	}
}
