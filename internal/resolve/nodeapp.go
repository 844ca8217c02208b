package resolve

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

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
