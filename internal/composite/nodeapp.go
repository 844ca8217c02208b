package composite

import (
	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Names of the backend resources of an XNodeApp. They never change for the
// life of an XR.
const (
	ResBackendDeployment pipeline.Name = "backend-deployment"
	ResBackendService    pipeline.Name = "backend-service"
)

// NodeApp plans an XNodeApp: a frontend and a backend, each a Deployment
// behind a Service, an Ingress, a PostgreSQL database on the chosen
// provider, and the connection Secret the backend reads.
func NodeApp(r Request) (*Plan, error) {
	var in v1alpha1.XNodeAppSpec
	if err := resolve.DecodeSpec(r.Spec, &in); err != nil {
		return nil, err
	}
	app, errs := resolve.ResolveNodeApp(in, r.Platform, resolveTarget(r.XR))
	if len(errs) > 0 {
		return nil, resolve.FieldErrors(errs)
	}
	m, err := target(r.XR, app.Environment, app.Owner)
	if err != nil {
		return nil, err
	}
	m.Identity = app.Identity
	n := m.Names

	plan := &Plan{}
	a := &add{plan: plan}
	a.Object(ResServiceAccount, objects.ServiceAccount(m))
	for _, e := range app.ExternalSecrets {
		a.CRD(pipeline.Name(ResExternalSecretPrefix+e.Name), objects.ExternalSecretOf(m, e))
	}
	a.Frontend(m, app.Frontend, n.Backend)
	wiring := objects.DatabaseWiring(m, app.Database)
	serving := ""
	if backend, ok, migrated := a.migrate(r, m, n.Backend, []pipeline.Name{ResBackendDeployment}, app.Backend, app.Database, wiring); ok {
		backend.Migrated = migrated
		serving = backend.Image
		a.Object(ResBackendDeployment, objects.Deployment(m, objects.ComponentBackend, n.Backend, backend, wiring))
	}
	procs := processes{workers: app.Workers, schedules: app.Schedules}
	a.Processes(m, procs, serving, wiring)
	a.Object(ResBackendService, objects.Service(m, objects.ComponentBackend, n.Backend, app.Backend.Ports))
	if app.Ingress.Enabled {
		a.Object(ResIngress, objects.Ingress(m, app.Ingress, []objects.Route{
			{Path: objects.BackendPath, Service: n.Backend},
			{Path: objects.FrontendPath, Service: n.Frontend},
		}))
	}
	a.Monitors(m, app.Monitoring, objects.ServiceScrape(m, objects.ComponentBackend, n.Backend, app.Monitoring.Path), app.Database.Provider)
	a.NetworkPolicies(m, app.Network, objects.API{Component: objects.ComponentBackend, Port: app.Backend.Port, Ports: app.Backend.Ports}, n.Backend, &app.Frontend,
		objects.Reach{Ingress: app.Ingress.Enabled, Monitoring: app.Monitoring.Enabled}, app.Database, procs)
	if a.err != nil {
		return nil, a.err
	}
	db, err := a.Database(r, m, app.Database)
	if err != nil {
		return nil, err
	}
	plan.Status = v1alpha1.XNodeAppStatus{URL: objects.URL(m, app.Ingress, n.Frontend), Database: db}
	return plan, nil
}
