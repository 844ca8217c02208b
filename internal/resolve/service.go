package resolve

import (
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

var durationRE = regexp.MustCompile(v1alpha1.DurationPattern)

// FullStackService is a validated XFullStackService spec with every default
// applied.
type FullStackService struct {
	Environment string
	Owner       Owner
	Description string
	Language    string
	Framework   string
	// Backend is the API workload.
	Backend Workload
	// Frontend is nil when the spec has none.
	Frontend    *Workload
	Database    Database
	Ingress     Ingress
	Delivery    Delivery
	Monitoring  Monitoring
	Autoscaling *Autoscaling
	// DisruptionBudget composes a PodDisruptionBudget for the service.
	DisruptionBudget bool
	// Network is nil when the service composes no NetworkPolicies.
	Network *Network
	// Identity is the pods' ServiceAccount's.
	Identity Identity
	// ExternalSecrets are synced from the platform's store.
	ExternalSecrets []ExternalSecret
	// Workers and Schedules run beside the service.
	Workers   []Worker
	Schedules []Schedule
}

// Monitoring is Monitoring with every default applied.
type Monitoring struct {
	Enabled bool
	Path    string
}

// Autoscaling is Autoscaling with every default applied.
type Autoscaling struct {
	MinReplicas int32
	MaxReplicas int32
	TargetCPU   int32
}

// ResolveService applies defaults to an XFullStackService spec, from the
// environment's profile and the platform, and validates it. name is the
// application's name; with a platform domain it makes the default host.
func ResolveFullStackService(in v1alpha1.XFullStackServiceSpec, p Platform, c Composite) (*FullStackService, field.ErrorList) {
	root := field.NewPath("spec")
	var errs field.ErrorList

	out := &FullStackService{
		Environment: orDefault(in.Environment, defaultEnvironment),
		Description: in.Description,
		Language:    in.Language,
		Framework:   in.Framework,
	}
	errs = append(errs, oneOf(root.Child("environment"), out.Environment, environments)...)
	var oerrs field.ErrorList
	out.Owner, oerrs = resolveOwner(root.Child("owner"), in.Owner, c)
	errs = append(errs, oerrs...)
	errs = append(errs, validateSwitch(root.Child("availability", "mode"), in.Availability.Mode)...)
	for _, f := range []struct {
		name, value string
		allowed     []string
	}{{"language", in.Language, languages}, {"framework", in.Framework, frameworks}} {
		if f.value != "" {
			errs = append(errs, oneOf(root.Child(f.name), f.value, f.allowed)...)
		}
	}
	if len(in.Description) > v1alpha1.MaxDescriptionLength {
		errs = append(errs, field.TooLong(root.Child("description"), "", v1alpha1.MaxDescriptionLength))
	}
	if len(errs) > 0 {
		// Without a known environment there is no profile to default from.
		return nil, errs
	}
	profile := profiles[out.Environment]

	var werrs field.ErrorList
	serviceDefaults := workloadDefaults{
		port: defaultServicePort, replicas: profile.Replicas, health: defaultServiceHealth,
		liveness: frameworkProbes[in.Framework].Liveness, readiness: frameworkProbes[in.Framework].Readiness,
		resources: defaultBackendResources, registry: p.ImageRegistry,
	}
	out.Backend, werrs = resolveWorkload(root.Child("backend"), in.Backend.Image, in.Backend.Pods, in.Backend.Port, in.Backend.HealthPath, serviceDefaults)
	errs = append(errs, werrs...)
	out.Workers, werrs = resolveWorkers(root.Child("workers"), in.Workers, out.Backend, serviceDefaults)
	errs = append(errs, werrs...)
	out.Schedules, werrs = resolveSchedules(root.Child("schedules"), in.Schedules, out.Backend, serviceDefaults)
	errs = append(errs, werrs...)
	avp := root.Child("availability")
	for _, sw := range []struct{ name, mode string }{{"mode", in.Availability.Mode}, {"spread", in.Availability.Spread}, {"podDisruptionBudget", in.Availability.PodDisruptionBudget}} {
		errs = append(errs, validateSwitch(avp.Child(sw.name), sw.mode)...)
	}
	available, _ := switchOf(in.Availability.Mode, profile.Spread)
	out.Backend.Spread, _ = switchOf(in.Availability.Spread, available)
	available, _ = switchOf(in.Availability.Mode, profile.DisruptionBudget)
	out.DisruptionBudget, _ = switchOf(in.Availability.PodDisruptionBudget, available)

	if in.Frontend != nil {
		errs = append(errs, validateSwitch(root.Child("frontend", "mode"), in.Frontend.Mode)...)
		if in.Frontend.Mode == v1alpha1.SwitchEnabled && in.Frontend.Image == "" {
			errs = append(errs, field.Required(root.Child("frontend", "image"), "the frontend's container image, required when spec.frontend.mode is Enabled"))
		}
	}

	if in.Frontend.On() {
		fe, ferrs := resolveWorkload(root.Child("frontend"), in.Frontend.Image, in.Frontend.Pods, in.Frontend.Port, in.Frontend.HealthPath, workloadDefaults{
			port: defaultFrontendPort, replicas: profile.Replicas, health: defaultFrontendHealth,
			resources: defaultFrontendResources, registry: p.ImageRegistry,
		})
		fe.Spread = out.Backend.Spread
		out.Frontend = &fe
		errs = append(errs, ferrs...)
	}

	out.Database, werrs = resolveDatabase(root.Child("database"), in.Database.Database,
		orDefault(in.Database.Size, profile.DatabaseSize), in.Database.Engine, p)
	errs = append(errs, werrs...)

	out.Ingress, werrs = resolveIngress(root.Child("ingress"), in.Ingress, p, c.Name)
	errs = append(errs, werrs...)

	out.Delivery, werrs = resolveDelivery(root.Child("delivery"), in.Delivery, profile, p, out.Ingress)
	errs = append(errs, werrs...)

	out.Monitoring, werrs = resolveMonitoring(root.Child("monitoring"), in.Monitoring)
	errs = append(errs, werrs...)
	out.Network, werrs = resolveNetwork(root.Child("networkPolicies"), in.NetworkPolicies, p.Network)
	errs = append(errs, werrs...)
	out.Identity, werrs = resolveIdentity(root.Child("identity"), in.Identity, p)
	errs = append(errs, werrs...)
	out.ExternalSecrets, werrs = resolveExternalSecrets(root.Child("externalSecrets"), in.ExternalSecrets, p)
	errs = append(errs, werrs...)

	out.Autoscaling, werrs = resolveAutoscaling(root.Child("autoscaling"), in.Autoscaling, profile, out.Backend.Replicas)
	errs = append(errs, werrs...)
	out.Backend.Autoscaled = out.Autoscaling != nil

	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func resolveAutoscaling(path *field.Path, in v1alpha1.Autoscaling, profile Profile, replicas int32) (*Autoscaling, field.ErrorList) {
	if e := validateSwitch(path.Child("mode"), in.Mode); len(e) > 0 {
		return nil, e
	}
	if on, explicit := switchOf(in.Mode, profile.Autoscaling); !on {
		off := switchedOff(path)
		for _, f := range []struct {
			name string
			set  bool
		}{{"minReplicas", in.MinReplicas != nil}, {"maxReplicas", in.MaxReplicas != nil}, {"targetCPUUtilizationPercentage", in.TargetCPUUtilizationPercentage != nil}} {
			if f.set && explicit {
				return nil, field.ErrorList{field.Forbidden(path.Child(f.name), off)}
			}
		}
		if in.MinReplicas == nil && in.MaxReplicas == nil && in.TargetCPUUtilizationPercentage == nil {
			return nil, nil
		}
		// Setting a bound asks for autoscaling.
	}
	var errs field.ErrorList
	out := &Autoscaling{MinReplicas: max(replicas, 1), TargetCPU: defaultTargetCPU}
	if in.MinReplicas != nil {
		if *in.MinReplicas < 1 || *in.MinReplicas > v1alpha1.MaxAutoscalingReplicas {
			errs = append(errs, field.Invalid(path.Child("minReplicas"), *in.MinReplicas, fmt.Sprintf("must be between 1 and %d, inclusive", v1alpha1.MaxAutoscalingReplicas)))
		} else {
			out.MinReplicas = int32(*in.MinReplicas)
		}
	}
	out.MaxReplicas = max(out.MinReplicas, defaultMaxReplicas)
	if in.MaxReplicas != nil {
		switch m := *in.MaxReplicas; {
		case m < 1 || m > v1alpha1.MaxAutoscalingReplicas:
			errs = append(errs, field.Invalid(path.Child("maxReplicas"), m, fmt.Sprintf("must be between 1 and %d, inclusive", v1alpha1.MaxAutoscalingReplicas)))
		case m < int64(out.MinReplicas):
			errs = append(errs, field.Invalid(path.Child("maxReplicas"), m,
				fmt.Sprintf("must be greater than or equal to spec.autoscaling.minReplicas (%d)", out.MinReplicas)))
		default:
			out.MaxReplicas = int32(m)
		}
	}
	if c := in.TargetCPUUtilizationPercentage; c != nil {
		if *c < 1 || *c > 100 {
			errs = append(errs, field.Invalid(path.Child("targetCPUUtilizationPercentage"), *c, "must be between 1 and 100, inclusive"))
		} else {
			out.TargetCPU = int32(*c)
		}
	}
	return out, errs
}

func i32(v int64) *int32 {
	n := int32(v) //nolint:gosec // Callers pass values checked against small bounds.
	return &n
}

// resolveMonitoring applies defaults to Monitoring.
func resolveMonitoring(path *field.Path, in v1alpha1.Monitoring) (Monitoring, field.ErrorList) {
	errs := validateSwitch(path.Child("mode"), in.Mode)
	on, _ := switchOf(in.Mode, false)
	out := Monitoring{Enabled: on, Path: orDefault(in.Path, defaultMetricsPath)}
	if !httpPathRE.MatchString(out.Path) {
		errs = append(errs, field.Invalid(path.Child("path"), out.Path, "must be an absolute HTTP path starting with /"))
	}
	return out, errs
}
