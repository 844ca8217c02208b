package resolve

import (
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// Ingress is an Ingress with every default applied.
type Ingress struct {
	Enabled    bool
	Host       string
	ClassName  string
	TLS        bool
	IssuerName string
	IssuerKind string
}

// nginxClass is ingress-nginx's IngressClass, the one class Argo Rollouts'
// nginx traffic routing serves by default (argo-rollouts v1.9.1
// --nginx-ingress-classes, docs/features/traffic-management/nginx.md). Argo
// copies the stable Ingress's class onto the canary Ingress it writes
// (rollout/trafficrouting/nginx/nginx.go buildCanaryIngress), and only
// ingress-nginx reads its canary annotations: under another controller the
// copy is a second Ingress for the same host, not a weighted split.
const nginxClass = "nginx"

// NginxRouting reports whether a canary's traffic can be split on the
// Ingress by ingress-nginx: class nginx, or none (the cluster's default
// IngressClass, which the API server's DefaultIngressClass admission writes
// in, taken to be ingress-nginx as Argo Rollouts' nginx routing expects).
func (i Ingress) NginxRouting() bool {
	return i.Enabled && (i.ClassName == "" || i.ClassName == nginxClass)
}

// resolveIngress applies defaults to an Ingress: the host defaults to
// <name>.<domain> when the platform sets a domain.
func resolveIngress(path *field.Path, in v1alpha1.Ingress, p Platform, name string) (Ingress, field.ErrorList) {
	errs := validateSwitch(path.Child("mode"), in.Mode)
	on, _ := switchOf(in.Mode, true)
	out := Ingress{
		Enabled:   on,
		Host:      in.Host,
		ClassName: orDefault(in.ClassName, p.IngressClassName),
	}
	if out.Host == "" && p.Domain != "" {
		out.Host = name + "." + p.Domain
	}
	if in.TLS != nil {
		errs = append(errs, validateSwitch(path.Child("tls", "mode"), in.TLS.Mode)...)
		out.TLS, _ = switchOf(in.TLS.Mode, false)
		out.IssuerName = in.TLS.IssuerName
		out.IssuerKind = orDefault(in.TLS.IssuerKind, defaultIssuerKind)
	}
	if !out.Enabled {
		return out, errs
	}
	switch out.Host {
	case "":
		errs = append(errs, field.Required(path.Child("host"), "a DNS name such as shop.example.com, or set spec.ingress.mode to Disabled, or a domain in "+platformSettings))
	default:
		for _, msg := range validation.IsDNS1123Subdomain(out.Host) {
			errs = append(errs, field.Invalid(path.Child("host"), out.Host, msg))
		}
	}
	if out.ClassName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(out.ClassName) {
			errs = append(errs, field.Invalid(path.Child("className"), out.ClassName, msg))
		}
	}
	if out.TLS {
		tp := path.Child("tls")
		if out.IssuerName == "" {
			errs = append(errs, field.Required(tp.Child("issuerName"), "the cert-manager issuer that signs the certificate"))
		} else {
			for _, msg := range validation.IsDNS1123Subdomain(out.IssuerName) {
				errs = append(errs, field.Invalid(tp.Child("issuerName"), out.IssuerName, msg))
			}
		}
		errs = append(errs, oneOf(tp.Child("issuerKind"), out.IssuerKind, issuerKinds)...)
	}
	return out, errs
}
