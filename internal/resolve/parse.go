// Package resolve turns the spec of a composite resource into a resolved
// spec: defaults applied (from the XRD, the environment profile and the
// platform's Input), every field validated, and every problem reported with
// its field path, before anything is built.
package resolve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

var (
	imageRE      = regexp.MustCompile(v1alpha1.ImagePattern)
	identifierRE = regexp.MustCompile(v1alpha1.IdentifierPattern)
	regionRE     = regexp.MustCompile(v1alpha1.RegionPattern)
	httpPathRE   = regexp.MustCompile(v1alpha1.HTTPPathPattern)
)

// Platform holds the defaults a platform engineer sets in the function's
// Input; they apply where the XR is silent.
type Platform struct {
	IngressClassName string
	// Domain gives an XFullStackService without spec.ingress.host the host
	// <name>.<domain>.
	Domain string
	// PrometheusAddress is the Prometheus an analysis queries when the XR
	// names none.
	PrometheusAddress string
	// ImageRegistry is put in front of an image that names no registry
	// (api:1.2 becomes <registry>/api:1.2).
	ImageRegistry string
	// Databases configures the cloud database providers.
	Databases v1beta1.Databases
}

// Workload is a frontend, backend or service with every default applied.
type Workload struct {
	Image      string
	Port       int32
	Replicas   int32
	Resources  corev1.ResourceRequirements
	Env        []v1alpha1.EnvVar
	HealthPath string
	// Autoscaled leaves the replica count to a HorizontalPodAutoscaler.
	Autoscaled bool
	// Spread prefers pods on different nodes and zones.
	Spread bool
}

// Ingress is an Ingress with every default applied.
type Ingress struct {
	Enabled    bool
	Host       string
	ClassName  string
	TLS        bool
	IssuerName string
	IssuerKind string
}

// NodeApp is a validated XNodeApp spec with every default applied: what the
// builders need, and nothing they have to check again.
type NodeApp struct {
	Environment string
	Owner       string
	Frontend    Workload
	Backend     Workload
	Database    Database
	Ingress     Ingress
}

// Decode reads the spec of a composite resource into out. Unknown fields are
// ignored (Crossplane adds its own under spec.crossplane and, for
// LegacyCluster XRs, directly under spec); a field of the wrong type is
// reported with its path.
func Decode(spec map[string]any, out any) *field.Error {
	root := field.NewPath("spec")
	if spec == nil {
		return field.Required(root, "the composite resource has no spec")
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return field.InternalError(root, err)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := root
			for _, part := range strings.Split(te.Field, ".") {
				// encoding/json names an inlined struct by its Go name
				// (frontend.Container.replicas); every JSON name of the
				// API starts lower-case, every Go name upper-case.
				if part != "" && !unicode.IsUpper(rune(part[0])) {
					p = p.Child(part)
				}
			}
			return field.TypeInvalid(p, te.Value, fmt.Sprintf("must be of type %s", jsonType(te.Type.Kind().String())))
		}
		return field.Invalid(root, "", err.Error())
	}
	return nil
}

func jsonType(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "integer"
	case goKind == "slice":
		return "array"
	case goKind == "struct", goKind == "map":
		return "object"
	case goKind == "bool":
		return "boolean"
	}
	return goKind
}

// ResolveNodeApp applies defaults to an XNodeApp spec and validates it. It
// returns every problem at once, each naming its field path.
func ResolveNodeApp(in v1alpha1.XNodeAppSpec, p Platform) (*NodeApp, field.ErrorList) {
	root := field.NewPath("spec")
	var errs field.ErrorList

	app := &NodeApp{
		Environment: orDefault(in.Environment, DefaultEnvironment),
		Owner:       in.Owner,
	}
	errs = append(errs, oneOf(root.Child("environment"), app.Environment, Environments)...)
	errs = append(errs, validateOwner(root.Child("owner"), in.Owner)...)

	replicas := int64(DefaultReplicas)
	if app.Environment == EnvProduction {
		replicas = DefaultProductionReplicas
	}
	var werrs field.ErrorList
	app.Frontend, werrs = resolveWorkload(root.Child("frontend"), in.Frontend.Container, in.Frontend.Port, in.Frontend.HealthPath, workloadDefaults{
		port: DefaultFrontendPort, replicas: replicas, health: DefaultFrontendHealth, resources: DefaultFrontendResources,
		registry: p.ImageRegistry,
	})
	errs = append(errs, werrs...)
	app.Backend, werrs = resolveWorkload(root.Child("backend"), in.Backend.Container, in.Backend.Port, in.Backend.HealthPath, workloadDefaults{
		port: DefaultBackendPort, replicas: replicas, health: DefaultBackendHealth, resources: DefaultBackendResources,
		registry: p.ImageRegistry,
	})
	errs = append(errs, werrs...)

	app.Database, werrs = resolveDatabase(root.Child("database"), in.Database.Database, in.Database.Size, "", p)
	errs = append(errs, werrs...)

	app.Ingress, werrs = resolveIngress(root.Child("ingress"), in.Ingress, p, "or set spec.ingress.enabled to false")
	errs = append(errs, werrs...)

	if len(errs) > 0 {
		return nil, errs
	}
	return app, nil
}

type workloadDefaults struct {
	port      int64
	replicas  int64
	health    string
	resources v1alpha1.Resources
	registry  string
}

// resolveWorkload resolves a workload's container and the port and health
// path its role (frontend, backend, service) defaults differently.
func resolveWorkload(path *field.Path, in v1alpha1.Container, inPort *int64, health string, d workloadDefaults) (Workload, field.ErrorList) {
	var errs field.ErrorList
	out := Workload{Image: qualifyImage(in.Image, d.registry), HealthPath: orDefault(health, d.health), Env: in.Env}

	switch {
	case in.Image == "":
		errs = append(errs, field.Required(path.Child("image"), "a container image reference such as ghcr.io/acme/web:1.2.3"))
	case !imageRE.MatchString(out.Image):
		errs = append(errs, field.Invalid(path.Child("image"), in.Image,
			"must be a container image reference: [registry[:port]/]repository[:tag][@sha256:digest], lower-case repository"))
	}

	port := d.port
	if inPort != nil {
		port = *inPort
	}
	if port < 1 || port > 65535 {
		errs = append(errs, field.Invalid(path.Child("port"), port, "must be between 1 and 65535, inclusive"))
	}
	out.Port = int32(port) //nolint:gosec // Checked above; a bad value is never used.

	replicas := d.replicas
	if in.Replicas != nil {
		replicas = *in.Replicas
	}
	if replicas < 0 || replicas > v1alpha1.MaxReplicas {
		errs = append(errs, field.Invalid(path.Child("replicas"), replicas, fmt.Sprintf("must be between 0 and %d, inclusive", v1alpha1.MaxReplicas)))
	}
	out.Replicas = int32(replicas) //nolint:gosec // Checked above.

	if !httpPathRE.MatchString(out.HealthPath) {
		errs = append(errs, field.Invalid(path.Child("healthPath"), out.HealthPath, "must be an absolute HTTP path starting with /"))
	}

	var rerrs field.ErrorList
	out.Resources, rerrs = resolveResources(path.Child("resources"), in.Resources, d.resources)
	errs = append(errs, rerrs...)

	seen := map[string]bool{}
	for i, e := range in.Env {
		p := path.Child("env").Index(i).Child("name")
		switch {
		case e.Name == "":
			errs = append(errs, field.Required(p, "an environment variable name"))
		case ReservedEnv[e.Name]:
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("%s is set by the platform; reserved names: %s", e.Name, strings.Join(sortedKeys(ReservedEnv), ", "))))
		case seen[e.Name]:
			errs = append(errs, field.Duplicate(p, e.Name))
		default:
			for _, msg := range validation.IsEnvVarName(e.Name) {
				errs = append(errs, field.Invalid(p, e.Name, msg))
			}
		}
		seen[e.Name] = true
	}
	return out, errs
}

// qualifyImage puts the platform's registry in front of an image that names
// none. As for Docker, the first path part is a registry when it holds a dot
// or a port, or is localhost.
func qualifyImage(image, registry string) string {
	if registry == "" || image == "" {
		return image
	}
	if first, _, found := strings.Cut(image, "/"); found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return image
	}
	return strings.TrimSuffix(registry, "/") + "/" + image
}

func resolveResources(path *field.Path, in *v1alpha1.Resources, d v1alpha1.Resources) (corev1.ResourceRequirements, field.ErrorList) {
	merged := v1alpha1.Resources{Requests: &v1alpha1.ResourceList{}, Limits: &v1alpha1.ResourceList{}}
	*merged.Requests = *d.Requests
	*merged.Limits = *d.Limits
	if in != nil && in.Requests != nil {
		merged.Requests.CPU = orDefault(in.Requests.CPU, merged.Requests.CPU)
		merged.Requests.Memory = orDefault(in.Requests.Memory, merged.Requests.Memory)
	}
	if in != nil && in.Limits != nil {
		merged.Limits.CPU = orDefault(in.Limits.CPU, merged.Limits.CPU)
		merged.Limits.Memory = orDefault(in.Limits.Memory, merged.Limits.Memory)
	}

	var errs field.ErrorList
	parse := func(p *field.Path, s string) resource.Quantity {
		q, err := resource.ParseQuantity(s)
		if err != nil {
			errs = append(errs, field.Invalid(p, s, "must be a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi"))
			return resource.Quantity{}
		}
		if q.Sign() <= 0 {
			errs = append(errs, field.Invalid(p, s, "must be greater than zero"))
		}
		return q
	}
	rq, lq := path.Child("requests"), path.Child("limits")
	out := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    parse(rq.Child("cpu"), merged.Requests.CPU),
			corev1.ResourceMemory: parse(rq.Child("memory"), merged.Requests.Memory),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    parse(lq.Child("cpu"), merged.Limits.CPU),
			corev1.ResourceMemory: parse(lq.Child("memory"), merged.Limits.Memory),
		},
	}
	if len(errs) > 0 {
		return out, errs
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := out.Requests[r], out.Limits[r]
		if req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(rq.Child(string(r)), req.String(),
				fmt.Sprintf("must be less than or equal to %s limit %s", r, lim.String())))
		}
	}
	return out, errs
}

// resolveIngress applies defaults to an Ingress. hostHelp ends the message
// when the host is missing: what else the user can do.
func resolveIngress(path *field.Path, in v1alpha1.Ingress, p Platform, hostHelp string) (Ingress, field.ErrorList) {
	out := Ingress{
		Enabled:   in.Enabled == nil || *in.Enabled,
		Host:      in.Host,
		ClassName: orDefault(in.ClassName, p.IngressClassName),
	}
	if in.TLS != nil {
		out.TLS = in.TLS.Enabled
		out.IssuerName = in.TLS.IssuerName
		out.IssuerKind = orDefault(in.TLS.IssuerKind, DefaultIssuerKind)
	}
	var errs field.ErrorList
	if !out.Enabled {
		return out, nil
	}
	switch out.Host {
	case "":
		errs = append(errs, field.Required(path.Child("host"), "a DNS name such as shop.example.com, "+hostHelp))
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
		errs = append(errs, oneOf(tp.Child("issuerKind"), out.IssuerKind, IssuerKinds)...)
	}
	return out, errs
}

func validateOwner(path *field.Path, owner string) field.ErrorList {
	if owner == "" {
		return field.ErrorList{field.Required(path, "the owning team, such as team-payments")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsValidLabelValue(owner) {
		errs = append(errs, field.Invalid(path, owner, msg))
	}
	return errs
}

func oneOf(path *field.Path, v string, allowed []string) field.ErrorList {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(path, v, allowed)}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FieldErrors is a list of field errors that reads as one message, each
// error naming its field path.
type FieldErrors field.ErrorList

func (e FieldErrors) Error() string {
	msgs := make([]string, 0, len(e))
	for _, fe := range e {
		msgs = append(msgs, fe.Error())
	}
	return strings.Join(msgs, "; ")
}

// DecodeSpec decodes the spec of a composite resource object into out, its
// apis/v1alpha1 spec type.
func DecodeSpec(xr map[string]any, out any) error {
	spec, _ := xr["spec"].(map[string]any)
	if err := Decode(spec, out); err != nil {
		return FieldErrors{err}
	}
	return nil
}
