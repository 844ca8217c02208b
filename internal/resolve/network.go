package resolve

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// Where the peers of an application's pods run, unless the function Input
// says otherwise.
const (
	defaultIngressNamespace    = "ingress-nginx"
	defaultPrometheusNamespace = "monitoring"
	defaultCNPGNamespace       = "cnpg-system"
)

// defaultDatabaseCIDRs let the API reach a cloud database at any address,
// on the PostgreSQL port only, when the Input names no ranges.
var defaultDatabaseCIDRs = []string{"0.0.0.0/0", "::/0"}

// Network is where the peers of an application's pods are. Its NetworkPolicies
// let in and out only what the application needs.
type Network struct {
	IngressNamespace    string
	PrometheusNamespace string
	CNPGNamespace       string
	// DatabaseCIDRs are the addresses of cloud database endpoints.
	DatabaseCIDRs []string
}

// NetworkPlatform is the Input's network policy settings with defaults
// applied.
type NetworkPlatform struct {
	// Enabled is the default of an XR's spec.networkPolicies.
	Enabled bool
	Network
}

// networkInput validates the Input's networkPolicies and applies defaults.
func networkInput(in *v1beta1.NetworkPolicies) (NetworkPlatform, field.ErrorList) {
	root := field.NewPath("networkPolicies")
	if in == nil {
		in = &v1beta1.NetworkPolicies{}
	}
	out := NetworkPlatform{
		Enabled: in.Enabled == nil || *in.Enabled,
		Network: Network{
			IngressNamespace:    orDefault(in.IngressNamespace, defaultIngressNamespace),
			PrometheusNamespace: orDefault(in.PrometheusNamespace, defaultPrometheusNamespace),
			CNPGNamespace:       orDefault(in.CloudNativePGNamespace, defaultCNPGNamespace),
			DatabaseCIDRs:       in.DatabaseCIDRs,
		},
	}
	var errs field.ErrorList
	for _, ns := range []struct{ name, value string }{
		{"ingressNamespace", out.IngressNamespace},
		{"prometheusNamespace", out.PrometheusNamespace},
		{"cloudNativePGNamespace", out.CNPGNamespace},
	} {
		for _, msg := range validation.IsDNS1123Label(ns.value) {
			errs = append(errs, field.Invalid(root.Child(ns.name), ns.value, msg))
		}
	}
	if len(out.DatabaseCIDRs) == 0 {
		out.DatabaseCIDRs = defaultDatabaseCIDRs
	}
	seen := map[string]bool{}
	for i, c := range in.DatabaseCIDRs {
		p := root.Child("databaseCIDRs").Index(i)
		prefix, err := netip.ParsePrefix(c)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(p, c, "must be a CIDR such as 10.20.0.0/16 or fd00::/64"))
		case prefix.Masked() != prefix:
			errs = append(errs, field.Invalid(p, c, fmt.Sprintf("must be a canonical CIDR (no host bits set), such as %s", prefix.Masked())))
		case seen[c]:
			errs = append(errs, field.Duplicate(p, c))
		}
		seen[c] = true
	}
	return out, errs
}

// resolveNetwork decides whether an XR composes NetworkPolicies: its
// spec.networkPolicies, else the platform's default. It returns nil when
// it composes none.
func resolveNetwork(p *field.Path, mode string, platform NetworkPlatform) (*Network, field.ErrorList) {
	if errs := validateSwitch(p, mode); len(errs) > 0 {
		return nil, errs
	}
	if on, _ := switchOf(mode, platform.Enabled); !on {
		return nil, nil
	}
	n := platform.Network
	return &n, nil
}
