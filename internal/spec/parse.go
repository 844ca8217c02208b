package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	imageRE      = regexp.MustCompile(ImagePattern)
	identifierRE = regexp.MustCompile(IdentifierPattern)
	regionRE     = regexp.MustCompile(RegionPattern)
	healthPathRE = regexp.MustCompile(HealthPathPattern)
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
}

// ResolvedWorkload is a Workload with every default applied.
type ResolvedWorkload struct {
	Image      string
	Port       int32
	Replicas   int32
	Resources  corev1.ResourceRequirements
	Env        []EnvVar
	HealthPath string
	// Autoscaled leaves the replica count to a HorizontalPodAutoscaler.
	Autoscaled bool
	// Spread prefers pods on different nodes and zones.
	Spread bool
}

// ResolvedIngress is an Ingress with every default applied.
type ResolvedIngress struct {
	Enabled    bool
	Host       string
	ClassName  string
	TLS        bool
	IssuerName string
	IssuerKind string
}

// App is a validated XNodeApp spec with every default applied: what the
// builders need, and nothing they have to check again.
type App struct {
	Environment string
	Owner       string
	Frontend    ResolvedWorkload
	Backend     ResolvedWorkload
	Database    Database
	Ingress     ResolvedIngress
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
				if part != "" {
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
func ResolveNodeApp(in NodeApp, p Platform) (*App, field.ErrorList) {
	root := field.NewPath("spec")
	var errs field.ErrorList

	app := &App{
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
	app.Frontend, werrs = resolveWorkload(root.Child("frontend"), in.Frontend, workloadDefaults{
		port: DefaultFrontendPort, replicas: replicas, health: DefaultFrontendHealth, resources: DefaultFrontendResources,
		registry: p.ImageRegistry,
	})
	errs = append(errs, werrs...)
	app.Backend, werrs = resolveWorkload(root.Child("backend"), in.Backend, workloadDefaults{
		port: DefaultBackendPort, replicas: replicas, health: DefaultBackendHealth, resources: DefaultBackendResources,
		registry: p.ImageRegistry,
	})
	errs = append(errs, werrs...)

	app.Database, werrs = resolveDatabase(root.Child("database"), in.Database)
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
	resources Resources
	registry  string
}

func resolveWorkload(path *field.Path, in Workload, d workloadDefaults) (ResolvedWorkload, field.ErrorList) {
	var errs field.ErrorList
	out := ResolvedWorkload{Image: qualifyImage(in.Image, d.registry), HealthPath: orDefault(in.HealthPath, d.health), Env: in.Env}

	switch {
	case in.Image == "":
		errs = append(errs, field.Required(path.Child("image"), "a container image reference such as ghcr.io/acme/web:1.2.3"))
	case !imageRE.MatchString(out.Image):
		errs = append(errs, field.Invalid(path.Child("image"), in.Image,
			"must be a container image reference: [registry[:port]/]repository[:tag][@sha256:digest], lower-case repository"))
	}

	port := d.port
	if in.Port != nil {
		port = *in.Port
	}
	if port < 1 || port > 65535 {
		errs = append(errs, field.Invalid(path.Child("port"), port, "must be between 1 and 65535, inclusive"))
	}
	out.Port = int32(port) //nolint:gosec // Checked above; a bad value is never used.

	replicas := d.replicas
	if in.Replicas != nil {
		replicas = *in.Replicas
	}
	if replicas < 0 || replicas > MaxReplicas {
		errs = append(errs, field.Invalid(path.Child("replicas"), replicas, fmt.Sprintf("must be between 0 and %d, inclusive", MaxReplicas)))
	}
	out.Replicas = int32(replicas) //nolint:gosec // Checked above.

	if !healthPathRE.MatchString(out.HealthPath) {
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

func resolveResources(path *field.Path, in *Resources, d Resources) (corev1.ResourceRequirements, field.ErrorList) {
	merged := Resources{Requests: &ResourceList{}, Limits: &ResourceList{}}
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

func resolveDatabase(path *field.Path, in Database) (Database, field.ErrorList) {
	out := Database{
		Name:                orDefault(in.Name, DefaultDatabaseName),
		Owner:               orDefault(in.Owner, DefaultDatabaseOwner),
		Size:                orDefault(in.Size, DefaultDatabaseSize),
		Engine:              orDefault(in.Engine, EnginePostgres),
		Version:             orDefault(in.Version, DefaultPostgresVersion),
		Provider:            orDefault(in.Provider, DefaultProvider),
		Region:              in.Region,
		Protection:          orDefault(in.Protection, ProtectionDefault),
		AllowProviderChange: in.AllowProviderChange,
	}
	var errs field.ErrorList
	for _, f := range []struct{ name, value string }{{"name", out.Name}, {"owner", out.Owner}} {
		if !identifierRE.MatchString(f.value) {
			errs = append(errs, field.Invalid(path.Child(f.name), f.value,
				"must be a PostgreSQL identifier: lower-case letters, digits and _, starting with a letter or _, at most 63 characters"))
		}
	}
	if out.Owner == "postgres" {
		errs = append(errs, field.Forbidden(path.Child("owner"), "postgres is the superuser; choose an application role name"))
	}
	errs = append(errs, oneOf(path.Child("engine"), out.Engine, Engines)...)
	errs = append(errs, oneOf(path.Child("size"), out.Size, Sizes)...)
	errs = append(errs, oneOf(path.Child("version"), out.Version, PostgresVersions)...)
	errs = append(errs, oneOf(path.Child("provider"), out.Provider, Providers)...)
	errs = append(errs, oneOf(path.Child("protection"), out.Protection, Protections)...)
	if out.Region != "" && !regionRE.MatchString(out.Region) {
		errs = append(errs, field.Invalid(path.Child("region"), out.Region, "must be a region or location name such as eu-west-1, europe-west1 or westeurope"))
	}
	return out, errs
}

// resolveIngress applies defaults to an Ingress. hostHelp ends the message
// when the host is missing: what else the user can do.
func resolveIngress(path *field.Path, in Ingress, p Platform, hostHelp string) (ResolvedIngress, field.ErrorList) {
	out := ResolvedIngress{
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
	switch {
	case out.Host == "":
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
