package resolve

import (
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// platformSettings is how messages name where the platform's settings live:
// the pipeline's environment, filled from EnvironmentConfigs by
// function-environment-configs, over the Composition's Input (package
// pipeline, Settings).
const platformSettings = "the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)"

var registryRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)

// PlatformFrom validates the function Input the platform engineer wrote in the
// Composition, applies its defaults, and returns the platform defaults an
// XR's spec is resolved against. The Input is not validated by an API
// server when the Composition is applied; its CRD's rules are checked here,
// once, before anything is built.
func PlatformFrom(in *v1beta1.Input) (Platform, error) {
	var errs field.ErrorList
	switch in.IngressReadiness {
	case "":
		in.IngressReadiness = v1beta1.IngressReadyWhenAddressAssigned
	case v1beta1.IngressReadyWhenAddressAssigned, v1beta1.IngressReadyWhenExists:
	default:
		errs = append(errs, field.NotSupported(field.NewPath("ingressReadiness"), in.IngressReadiness,
			[]string{string(v1beta1.IngressReadyWhenAddressAssigned), string(v1beta1.IngressReadyWhenExists)}))
	}
	if c := in.IngressClassName; c != "" {
		for _, msg := range validation.IsDNS1123Subdomain(c) {
			errs = append(errs, field.Invalid(field.NewPath("ingressClassName"), c, msg))
		}
	}
	if d := in.Domain; d != "" {
		if msgs := validation.IsDNS1123Subdomain(d); len(msgs) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("domain"), d, strings.Join(msgs, "; ")))
		}
	}
	if a := in.PrometheusAddress; a != "" && !isHTTPURL(a) {
		errs = append(errs, field.Invalid(field.NewPath("prometheusAddress"), a, "must be an http or https URL such as http://prometheus-operated.monitoring:9090"))
	}
	if r := in.ImageRegistry; r != "" && !registryRE.MatchString(r) {
		errs = append(errs, field.Invalid(field.NewPath("imageRegistry"), r, "must be a registry host with an optional port and path, such as ghcr.io/acme or registry.local:5000"))
	}
	var databases v1beta1.Databases
	if in.Databases != nil {
		databases = *in.Databases
	}
	errs = append(errs, databasesInput(in.Databases)...)
	network, nerrs := networkInput(in.NetworkPolicies)
	errs = append(errs, nerrs...)
	var identity v1beta1.Identity
	if in.Identity != nil {
		identity = *in.Identity
		errs = append(errs, identityInput(identity)...)
	}
	errs = append(errs, externalSecretsInput(in.ExternalSecrets)...)
	if len(errs) > 0 {
		return Platform{}, FieldErrors(errs)
	}
	return Platform{
		IngressClassName:  in.IngressClassName,
		Domain:            in.Domain,
		PrometheusAddress: in.PrometheusAddress,
		ImageRegistry:     in.ImageRegistry,
		Databases:         databases,
		Network:           network,
		Identity:          identity,
		ExternalSecrets:   in.ExternalSecrets,
	}, nil
}
