package compose

import (
	"github.com/crossplane/function-sdk-go/resource"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fullstack-fn/function-fullstack/internal/build"
	"github.com/fullstack-fn/function-fullstack/internal/spec"
)

// Names of the resources composed for an XNodeApp. They never change for
// the life of an XR. The database's names are in package build.
const (
	ResFrontendDeployment resource.Name = "frontend-deployment"
	ResFrontendService    resource.Name = "frontend-service"
	ResBackendDeployment  resource.Name = "backend-deployment"
	ResBackendService     resource.Name = "backend-service"
	ResIngress            resource.Name = "ingress"
)

// NodeApp plans an XNodeApp: a frontend and a backend, each a Deployment
// behind a Service, an Ingress, a PostgreSQL database on the chosen
// provider, and the connection Secret the backend reads.
func NodeApp(r Request) (*Plan, error) {
	var in spec.NodeApp
	specMap, _ := r.XR.Object["spec"].(map[string]any)
	if err := spec.Decode(specMap, &in); err != nil {
		return nil, FieldErrors{err}
	}
	app, errs := spec.ResolveNodeApp(in, r.Platform)
	if len(errs) > 0 {
		return nil, FieldErrors(errs)
	}
	m, err := target(r.XR, app.Environment, app.Owner)
	if err != nil {
		return nil, err
	}
	n := m.Names

	plan := &Plan{}
	add := func(name resource.Name, obj runtime.Object) error {
		u, err := build.FromTyped(obj)
		if err != nil {
			return err
		}
		plan.Resources = append(plan.Resources, Resource{Name: name, Object: u})
		return nil
	}
	frontendEnv := []corev1.EnvVar{{Name: "API_URL", Value: build.ServiceURL(m, n.Backend)}}
	for _, err := range []error{
		add(ResFrontendDeployment, build.Deployment(m, build.ComponentFrontend, n.Frontend, app.Frontend, frontendEnv)),
		add(ResFrontendService, build.Service(m, build.ComponentFrontend, n.Frontend)),
		add(ResBackendDeployment, build.Deployment(m, build.ComponentBackend, n.Backend, app.Backend, build.DatabaseEnv(n.DatabaseConnection))),
		add(ResBackendService, build.Service(m, build.ComponentBackend, n.Backend)),
	} {
		if err != nil {
			return nil, err
		}
	}
	if app.Ingress.Enabled {
		if err := add(ResIngress, build.Ingress(m, app.Ingress, []build.Route{
			{Path: build.BackendPath, Service: n.Backend},
			{Path: build.FrontendPath, Service: n.Frontend},
		})); err != nil {
			return nil, err
		}
	}
	dbStatus, err := composeDatabase(r, m, app.Database, plan)
	if err != nil {
		return nil, err
	}
	plan.Status = map[string]any{"url": build.URL(m, app.Ingress, n.Frontend), "database": dbStatus}
	return plan, nil
}
