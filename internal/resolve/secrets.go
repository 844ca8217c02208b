package resolve

import (
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// ExternalSecret is a Secret synced from the platform's store, with its
// store and defaults applied.
type ExternalSecret struct {
	Name, Key, RefreshInterval string
	StoreName, StoreKind       string
}

// Defaults of external secrets.
const (
	defaultRefreshInterval = "1h"
	defaultStoreKind       = "ClusterSecretStore"
	maxExternalSecrets     = 16
)

// externalSecretsInput validates the Input's secret store.
func externalSecretsInput(in *v1beta1.ExternalSecrets) field.ErrorList {
	if in == nil {
		return nil
	}
	p := field.NewPath("externalSecrets")
	var errs field.ErrorList
	if in.StoreName == "" {
		errs = append(errs, field.Required(p.Child("storeName"), "the name of the SecretStore or ClusterSecretStore"))
	}
	for _, msg := range validation.IsDNS1123Subdomain(in.StoreName) {
		if in.StoreName != "" {
			errs = append(errs, field.Invalid(p.Child("storeName"), in.StoreName, msg))
		}
	}
	switch in.StoreKind {
	case "", "ClusterSecretStore", "SecretStore":
	default:
		errs = append(errs, field.NotSupported(p.Child("storeKind"), in.StoreKind, []string{"ClusterSecretStore", "SecretStore"}))
	}
	return errs
}

// resolveExternalSecrets resolves an XR's external secrets against the
// platform's store; without one they cannot be read and are refused.
func resolveExternalSecrets(path *field.Path, in []v1alpha1.ExternalSecret, p Platform) ([]ExternalSecret, field.ErrorList) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > maxExternalSecrets {
		return nil, field.ErrorList{field.TooMany(path, len(in), maxExternalSecrets)}
	}
	if p.ExternalSecrets == nil {
		return nil, field.ErrorList{field.Forbidden(path,
			"the platform names no secret store: set externalSecrets.storeName in "+platformSettings+" (a ClusterSecretStore of the External Secrets Operator), or name existing Secrets in env valueFrom, envFrom and files")}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	out := make([]ExternalSecret, 0, len(in))
	for i, e := range in {
		ip := path.Index(i)
		switch {
		case e.Name == "":
			errs = append(errs, field.Required(ip.Child("name"), "the name of the Secret to create"))
		case seen[e.Name]:
			errs = append(errs, field.Duplicate(ip.Child("name"), e.Name))
		default:
			for _, msg := range validation.IsDNS1123Subdomain(e.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), e.Name, msg))
			}
		}
		seen[e.Name] = true
		if e.Key == "" || len(e.Key) > 1024 {
			errs = append(errs, field.Invalid(ip.Child("key"), e.Key, "must be the secret's key in the store, 1 to 1024 characters, such as payments/stripe"))
		}
		interval := orDefault(e.RefreshInterval, defaultRefreshInterval)
		if !durationRE.MatchString(interval) {
			errs = append(errs, field.Invalid(ip.Child("refreshInterval"), e.RefreshInterval, "must be a duration such as 1h, 15m or 30s"))
		}
		out = append(out, ExternalSecret{Name: e.Name, Key: e.Key, RefreshInterval: interval,
			StoreName: p.ExternalSecrets.StoreName, StoreKind: orDefault(p.ExternalSecrets.StoreKind, defaultStoreKind)})
	}
	return out, errs
}
