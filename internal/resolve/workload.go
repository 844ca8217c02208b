package resolve

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// Workload is a frontend, backend or service with every default applied.
type Workload struct {
	Image      string
	Port       int32
	Replicas   int32
	Resources  corev1.ResourceRequirements
	Env        []v1alpha1.EnvVar
	HealthPath string
	// LivenessPath and ReadinessPath are the liveness and readiness probes'
	// paths; HealthPath is the startup probe's.
	LivenessPath  string
	ReadinessPath string
	// Autoscaled leaves the replica count to a HorizontalPodAutoscaler.
	Autoscaled bool
	// Migrated lists the images whose migration succeeded, decided from
	// observed state (package composite).
	Migrated string
	// Spread prefers pods on different nodes and zones.
	Spread bool
	// WritablePaths are empty directories mounted besides /tmp.
	WritablePaths []string
	// EnvFrom, Files, Command, Args, ImagePullSecrets, PodAnnotations and
	// PodLabels are the spec's, validated (resolvePodSettings).
	EnvFrom          []v1alpha1.EnvFromSource
	Files            []v1alpha1.File
	Command, Args    []string
	ImagePullSecrets []string
	PodAnnotations   map[string]string
	PodLabels        map[string]string
	// Probes are the startup, readiness and liveness probes' timings,
	// defaults applied.
	Probes ProbeTimings
	// Ports are the container's ports besides the main one (http).
	Ports []Port
}

// Port is a named TCP port of a container and its Service.
type Port struct {
	Name   string
	Number int32
}

// ProbeTiming is a probe's timing with its defaults applied.
type ProbeTiming struct {
	PeriodSeconds, TimeoutSeconds, FailureThreshold, InitialDelaySeconds int32
}

// ProbeTimings are a workload's three probes' timings.
type ProbeTimings struct {
	Startup, Readiness, Liveness ProbeTiming
}

// DefaultProbes are the probes' timings: the startup probe allows 150 s,
// readiness reacts in 30 s, liveness restarts a pod stuck for a minute.
var DefaultProbes = ProbeTimings{
	Startup:   ProbeTiming{PeriodSeconds: 5, TimeoutSeconds: 2, FailureThreshold: 30},
	Readiness: ProbeTiming{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3},
	Liveness:  ProbeTiming{PeriodSeconds: 20, TimeoutSeconds: 2, FailureThreshold: 3},
}

type workloadDefaults struct {
	port     int64
	replicas int64
	health   string
	// liveness and readiness are the framework's probe paths, if it has
	// its own.
	liveness, readiness string
	resources           v1alpha1.Resources
	registry            string
	// writable are the writablePaths when the spec names none.
	writable []string
}

// resolveWorkload resolves a workload's container and the port and health
// path its role (frontend, backend, service) defaults differently.
func resolveWorkload(path *field.Path, image string, in v1alpha1.Pods, inPort *int64, health string, d workloadDefaults) (Workload, field.ErrorList) {
	var errs field.ErrorList
	out := Workload{Image: qualifyImage(image, d.registry), HealthPath: orDefault(health, d.health)}
	out.LivenessPath = orDefault(in.LivenessPath, orDefault(d.liveness, out.HealthPath))
	out.ReadinessPath = orDefault(in.ReadinessPath, orDefault(d.readiness, out.HealthPath))
	for _, p := range []struct{ name, value string }{{"livenessPath", in.LivenessPath}, {"readinessPath", in.ReadinessPath}} {
		if p.value != "" && !httpPathRE.MatchString(p.value) {
			errs = append(errs, field.Invalid(path.Child(p.name), p.value, "must be an absolute HTTP path starting with /"))
		}
	}

	switch {
	case image == "":
		errs = append(errs, field.Required(path.Child("image"), "a container image reference such as ghcr.io/acme/web:1.2.3"))
	case !imageRE.MatchString(out.Image):
		errs = append(errs, field.Invalid(path.Child("image"), image,
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

	errs = append(errs, resolveProcess(path, in.Process, d, &out)...)
	var perrs field.ErrorList
	out.Probes, perrs = resolveProbes(path.Child("probes"), in.Probes)
	errs = append(errs, perrs...)
	out.Ports, perrs = resolvePorts(path.Child("ports"), in.Ports, out.Port)
	errs = append(errs, perrs...)
	return out, errs
}

// resolveProbes applies the probes' timings over the defaults.
func resolveProbes(path *field.Path, in *v1alpha1.Probes) (ProbeTimings, field.ErrorList) {
	out := DefaultProbes
	if in == nil {
		return out, nil
	}
	var errs field.ErrorList
	for _, p := range []struct {
		name string
		in   *v1alpha1.ProbeTiming
		out  *ProbeTiming
	}{{"startup", in.Startup, &out.Startup}, {"readiness", in.Readiness, &out.Readiness}, {"liveness", in.Liveness, &out.Liveness}} {
		if p.in == nil {
			continue
		}
		for _, f := range []struct {
			name     string
			v        *int64
			min, max int64
			out      *int32
		}{
			{"periodSeconds", p.in.PeriodSeconds, 1, 300, &p.out.PeriodSeconds},
			{"timeoutSeconds", p.in.TimeoutSeconds, 1, 60, &p.out.TimeoutSeconds},
			{"failureThreshold", p.in.FailureThreshold, 1, 100, &p.out.FailureThreshold},
			{"initialDelaySeconds", p.in.InitialDelaySeconds, 0, 600, &p.out.InitialDelaySeconds},
		} {
			if f.v == nil {
				continue
			}
			if *f.v < f.min || *f.v > f.max {
				errs = append(errs, field.Invalid(path.Child(p.name, f.name), *f.v, fmt.Sprintf("must be between %d and %d, inclusive", f.min, f.max)))
				continue
			}
			*f.out = int32(*f.v) //nolint:gosec // Checked above.
		}
		if p.out.TimeoutSeconds > p.out.PeriodSeconds {
			errs = append(errs, field.Invalid(path.Child(p.name, "timeoutSeconds"), p.out.TimeoutSeconds,
				fmt.Sprintf("must not exceed periodSeconds (%d)", p.out.PeriodSeconds)))
		}
	}
	return out, errs
}

// mainPortName is the name of a workload's main port, which extra ports
// cannot take.
const mainPortName = "http"

// resolvePorts validates a workload's extra ports: unique names and
// numbers, none the main port's.
func resolvePorts(path *field.Path, in []v1alpha1.NamedPort, main int32) ([]Port, field.ErrorList) {
	var errs field.ErrorList
	if len(in) > 8 {
		return nil, field.ErrorList{field.TooMany(path, len(in), 8)}
	}
	names, numbers := map[string]bool{mainPortName: true}, map[int64]bool{int64(main): true}
	out := make([]Port, 0, len(in))
	for i, p := range in {
		ip := path.Index(i)
		switch {
		case len(validation.IsValidPortName(p.Name)) > 0:
			errs = append(errs, field.Invalid(ip.Child("name"), p.Name, strings.Join(validation.IsValidPortName(p.Name), "; ")))
		case names[p.Name]:
			errs = append(errs, field.Duplicate(ip.Child("name"), p.Name))
		}
		switch {
		case p.Port < 1 || p.Port > 65535:
			errs = append(errs, field.Invalid(ip.Child("port"), p.Port, "must be between 1 and 65535, inclusive"))
		case numbers[p.Port]:
			errs = append(errs, field.Duplicate(ip.Child("port"), p.Port))
		}
		names[p.Name], numbers[p.Port] = true, true
		out = append(out, Port{Name: p.Name, Number: int32(p.Port)}) //nolint:gosec // Checked above; a bad value is never used.
	}
	return out, errs
}

// resolveProcess resolves what every process of the application sets:
// resources, writable paths, what it takes from Secrets and ConfigMaps, its
// command, registry credentials and pod metadata, and its environment.
func resolveProcess(path *field.Path, in v1alpha1.Process, d workloadDefaults, out *Workload) field.ErrorList {
	var errs, rerrs field.ErrorList
	out.Env = in.Env
	out.Resources, rerrs = resolveResources(path.Child("resources"), in.Resources, d.resources)
	errs = append(errs, rerrs...)
	out.WritablePaths, rerrs = resolveWritablePaths(path.Child("writablePaths"), in.WritablePaths, d.writable)
	errs = append(errs, rerrs...)

	errs = append(errs, resolvePodSettings(path, in, out)...)

	seen := map[string]bool{}
	for i, e := range in.Env {
		p := path.Child("env").Index(i).Child("name")
		switch {
		case e.Name == "":
			errs = append(errs, field.Required(p, "an environment variable name"))
		case reservedEnv[e.Name]:
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("%s is set by the platform; reserved names: %s", e.Name, strings.Join(sortedKeys(reservedEnv), ", "))))
		case seen[e.Name]:
			errs = append(errs, field.Duplicate(p, e.Name))
		default:
			for _, msg := range validation.IsEnvVarName(e.Name) {
				errs = append(errs, field.Invalid(p, e.Name, msg))
			}
		}
		seen[e.Name] = true
	}
	return errs
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

// Directories a container always has, which writablePaths cannot name or
// nest under: the writable /tmp and the database's CA bundle.
const (
	TmpDir        = "/tmp"
	DatabaseCADir = "/etc/fullstack/db-ca"
)

// DefaultNodeFrontendWritablePaths is where Next.js writes its cache (image
// optimisation, fetch cache) in the official Docker image layout (WORKDIR
// /app).
var DefaultNodeFrontendWritablePaths = []string{"/app/.next/cache"}

// maxWritablePaths bounds writablePaths (the schema's maxItems).
const maxWritablePaths = 8

// resolveWritablePaths validates a workload's writablePaths; nil takes
// the default.
func resolveWritablePaths(p *field.Path, in, def []string) ([]string, field.ErrorList) {
	if in == nil {
		return def, nil
	}
	var errs field.ErrorList
	if len(in) > maxWritablePaths {
		return nil, field.ErrorList{field.TooMany(p, len(in), maxWritablePaths)}
	}
	seen := map[string]bool{}
	for i, w := range in {
		ip := p.Index(i)
		switch {
		case len(w) > 255 || !writablePathRE.MatchString(w) || path.Clean(w) != w || w == "/":
			errs = append(errs, field.Invalid(ip, w, "must be an absolute, clean directory path such as /app/.next/cache (no . or .. parts, no trailing /)"))
		case within(w, TmpDir):
			errs = append(errs, field.Invalid(ip, w, "/tmp is always writable"))
		case within(w, DatabaseCADir) || within(DatabaseCADir, w):
			errs = append(errs, field.Invalid(ip, w, fmt.Sprintf("must not hold or lie under %s, where the database's CA bundle is mounted", DatabaseCADir)))
		case seen[w]:
			errs = append(errs, field.Duplicate(ip, w))
		}
		seen[w] = true
	}
	return in, errs
}

// within says whether p is dir or lies under it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
