package resolve

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// NodeApp is a validated XNodeApp spec with every default applied: what the
// builders need, and nothing they have to check again.
type NodeApp struct {
	Environment string
	Owner       Owner
	Frontend    Workload
	Backend     Workload
	Database    Database
	Ingress     Ingress
	Monitoring  Monitoring
	// Network is nil when the application composes no NetworkPolicies.
	Network *Network
	// Identity is the pods' ServiceAccount's.
	Identity Identity
	// ExternalSecrets are synced from the platform's store.
	ExternalSecrets []ExternalSecret
	// Workers and Schedules run beside the backend.
	Workers   []Worker
	Schedules []Schedule
}

// ResolveNodeApp applies defaults to an XNodeApp spec and validates it. It
// returns every problem at once, each naming its field path.
func ResolveNodeApp(in v1alpha1.XNodeAppSpec, p Platform, c Composite) (*NodeApp, field.ErrorList) {
	root := field.NewPath("spec")
	var errs field.ErrorList

	app := &NodeApp{Environment: orDefault(in.Environment, defaultEnvironment)}
	errs = append(errs, oneOf(root.Child("environment"), app.Environment, environments)...)
	var oerrs field.ErrorList
	app.Owner, oerrs = resolveOwner(root.Child("owner"), in.Owner, c)
	errs = append(errs, oerrs...)

	replicas := int64(defaultReplicas)
	if app.Environment == EnvProduction {
		replicas = defaultProductionReplicas
	}
	var werrs field.ErrorList
	app.Frontend, werrs = resolveWorkload(root.Child("frontend"), in.Frontend.Image, in.Frontend.Pods, in.Frontend.Port, in.Frontend.HealthPath, workloadDefaults{
		port: defaultFrontendPort, replicas: replicas, health: defaultFrontendHealth, resources: defaultFrontendResources,
		registry: p.ImageRegistry, writable: DefaultNodeFrontendWritablePaths,
	})
	errs = append(errs, werrs...)
	backendDefaults := workloadDefaults{
		port: defaultBackendPort, replicas: replicas, health: defaultBackendHealth, resources: defaultBackendResources,
		registry: p.ImageRegistry,
	}
	app.Backend, werrs = resolveWorkload(root.Child("backend"), in.Backend.Image, in.Backend.Pods, in.Backend.Port, in.Backend.HealthPath, backendDefaults)
	errs = append(errs, werrs...)
	app.Workers, werrs = resolveWorkers(root.Child("workers"), in.Workers, app.Backend, backendDefaults)
	errs = append(errs, werrs...)
	app.Schedules, werrs = resolveSchedules(root.Child("schedules"), in.Schedules, app.Backend, backendDefaults)
	errs = append(errs, werrs...)

	app.Database, werrs = resolveDatabase(root.Child("database"), in.Database.Database, in.Database.Size, "", p)
	errs = append(errs, werrs...)

	app.Ingress, werrs = resolveIngress(root.Child("ingress"), in.Ingress, p, c.Name)
	errs = append(errs, werrs...)

	app.Monitoring, werrs = resolveMonitoring(root.Child("monitoring"), in.Monitoring)
	errs = append(errs, werrs...)

	app.Network, werrs = resolveNetwork(root.Child("networkPolicies"), in.NetworkPolicies, p.Network)
	errs = append(errs, werrs...)
	app.Identity, werrs = resolveIdentity(root.Child("identity"), in.Identity, p)
	errs = append(errs, werrs...)
	app.ExternalSecrets, werrs = resolveExternalSecrets(root.Child("externalSecrets"), in.ExternalSecrets, p)
	errs = append(errs, werrs...)

	if len(errs) > 0 {
		return nil, errs
	}
	return app, nil
}
