// Package composite plans the composed resources of one composite resource.
// Each composite kind has a planner of the same shape: decode the spec into
// its apis/v1alpha1 type, resolve it, add the objects the builders return,
// add the database, and report a typed status. The parts both kinds share
// (frontend, database) are written once, here.
package composite

import (
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/internal/encode"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Labels Crossplane sets on a LegacyCluster XR that a claim created.
const (
	LabelClaimName      = "crossplane.io/claim-name"
	LabelClaimNamespace = "crossplane.io/claim-namespace"
)

// Names of the frontend and Ingress resources both kinds compose. They
// never change for the life of an XR. The database's names are in package
// database.
const (
	ResFrontendDeployment pipeline.Name = "frontend-deployment"
	ResFrontendService    pipeline.Name = "frontend-service"
	// ResServiceAccount is the pods' ServiceAccount.
	ResServiceAccount pipeline.Name = "service-account"
	ResIngress        pipeline.Name = "ingress"
	// The monitors both kinds compose when monitoring is on.
	ResServiceMonitor  pipeline.Name = "service-monitor"
	ResDatabaseMonitor pipeline.Name = "database-monitor"
	// The NetworkPolicies both kinds compose when they are on.
	ResFrontendPolicy  pipeline.Name = "network-policy-frontend"
	ResAPIPolicy       pipeline.Name = "network-policy-api"
	ResMigrationPolicy pipeline.Name = "network-policy-migration"
	ResDatabasePolicy  pipeline.Name = "network-policy-database"
)

// Prefixes of the resource names of workers and scheduled jobs, and of
// their NetworkPolicies; the rest is the worker's or job's name.
const (
	ResWorkerPrefix         = "worker-"
	ResExternalSecretPrefix = "external-secret-"
	ResSchedulePrefix       = "schedule-"
	ResWorkerPolicyPrefix   = "network-policy-worker-"
	ResSchedulePolicyPrefix = "network-policy-schedule-"
)

// Request is what a planner reads.
type Request struct {
	XR *unstructured.Unstructured
	// Spec is the XR's spec as JSON (pipeline.ObservedSpec), nil when it
	// has none; the planner decodes it into its typed spec.
	Spec     []byte
	Observed map[pipeline.Name]*unstructured.Unstructured
	Platform resolve.Platform
	// Required are resources Crossplane fetched on the function's request.
	Required map[string][]*unstructured.Unstructured
	// PasswordSeed derives passwords the function must supply.
	PasswordSeed []byte
}

// observed returns the observed composed resource of that name, or nil.
func (r Request) observed(n pipeline.Name) *unstructured.Unstructured {
	if o := r.Observed[n]; o != nil && len(o.Object) > 0 {
		return o
	}
	return nil
}

// Plan is everything the function will set for one XR.
type Plan struct {
	// Resources are what the planner composed besides the database.
	Resources []objects.Composed
	// Database is the database, its connection Secret, and what composing
	// them warns of, waits for and requires.
	Database *database.Result
	// Status is the XR's typed status (v1alpha1.XNodeAppStatus or
	// v1alpha1.XFullStackServiceStatus), merged into status.
	Status any
	// Pending names what the planner cannot compose yet, and why.
	Pending []string
	// Handover says what a Deployment/Rollout handover waits for, if one
	// is under way.
	Handover string
	// Migration is the migration Job composed for a new image, if any.
	Migration *Migration
	// Delivered is the XR's Delivered condition, for a kind that has one.
	Delivered *Condition
}

// Composed returns every composed resource: the planner's, then the
// database's.
func (p *Plan) Composed() []objects.Composed {
	if p.Database == nil {
		return p.Resources
	}
	return append(slices.Clip(p.Resources), p.Database.Resources...)
}

// Waiting names what cannot be composed yet: the planner's, then the
// database's, then a handover.
func (p *Plan) Waiting() []string {
	var out []string
	out = append(out, p.Pending...)
	if p.Database != nil {
		out = append(out, p.Database.Pending...)
	}
	if p.Handover != "" {
		out = append(out, p.Handover)
	}
	return out
}

// Condition is a condition the function sets on the XR (and its claim).
type Condition struct {
	Status          bool
	Reason, Message string
}

// A Planner plans the composed resources of one composite kind.
type Planner func(Request) (*Plan, error)

// Planners maps each composite kind to its planner. The API group is not
// checked, so platform teams can serve the XRDs under their own group.
var Planners = map[string]Planner{
	"XNodeApp":          NodeApp,
	"XFullStackService": FullStackService,
}

// Kinds lists the composite kinds this function composes.
func Kinds() []string {
	out := make([]string, 0, len(Planners))
	for k := range Planners {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// add appends typed objects to a plan, remembering the first error, so a
// planner reads as a list of what it composes.
type add struct {
	plan *Plan
	err  error
	// enc encodes every object of the plan, from shared chunks.
	enc encode.Encoder
}

func (a *add) put(name pipeline.Name, u *structpb.Struct, err error) {
	if err != nil {
		if a.err == nil {
			a.err = err
		}
		return
	}
	a.plan.Resources = append(a.plan.Resources, objects.Composed{Name: name, Object: u})
}

// Object adds a typed Kubernetes object.
func (a *add) Object(name pipeline.Name, obj runtime.Object) {
	u, err := a.enc.Typed(obj)
	a.put(name, u, err)
}

// CRD adds a local struct of a custom resource.
func (a *add) CRD(name pipeline.Name, obj any) {
	u, err := a.enc.CRD(obj)
	a.put(name, u, err)
}

// Frontend adds a frontend Deployment and Service; the frontend reaches the
// API at api (a Service name) through API_URL.
func (a *add) Frontend(m objects.Meta, fe resolve.Workload, api string) {
	n := m.Names
	env := []corev1.EnvVar{{Name: "API_URL", Value: objects.ServiceURL(m, api)}}
	a.Object(ResFrontendDeployment, objects.Deployment(m, objects.ComponentFrontend, n.Frontend, fe, objects.Wiring{Env: env}))
	a.Object(ResFrontendService, objects.Service(m, objects.ComponentFrontend, n.Frontend, fe.Ports))
}

// Monitors adds, when monitoring is on, the ServiceMonitor for the API
// (sm, built by the caller) and, for an in-cluster database, the PodMonitor
// for PostgreSQL.
func (a *add) Monitors(m objects.Meta, mon resolve.Monitoring, sm *objects.ServiceMonitor, provider string) {
	if !mon.Enabled {
		return
	}
	a.CRD(ResServiceMonitor, sm)
	if provider == resolve.ProviderCNPG {
		a.CRD(ResDatabaseMonitor, objects.DatabaseScrape(m))
	}
}

// NetworkPolicies adds, when they are on, the NetworkPolicies of the
// frontend (if any), the API (named apiName), the migration Jobs (with a
// migration) and an in-cluster database.
func (a *add) NetworkPolicies(m objects.Meta, net *resolve.Network, api objects.API, apiName string, frontend *resolve.Workload, reach objects.Reach, db resolve.Database, procs processes) {
	if net == nil {
		return
	}
	api.Internal = len(api.Ports) > 0 || len(procs.workers) > 0 || len(procs.schedules) > 0
	var clients []string
	for _, w := range procs.workers {
		a.Object(pipeline.Name(ResWorkerPolicyPrefix+w.Name), objects.ProcessPolicy(m, *net, objects.WorkerName(m, w.Name), objects.WorkerComponent(w.Name), api, w.Database, db))
		if w.Database {
			clients = append(clients, objects.WorkerComponent(w.Name))
		}
	}
	for _, s := range procs.schedules {
		a.Object(pipeline.Name(ResSchedulePolicyPrefix+s.Name), objects.ProcessPolicy(m, *net, objects.ScheduleName(m, s.Name), objects.ScheduleComponent(s.Name), api, s.Database, db))
		if s.Database {
			clients = append(clients, objects.ScheduleComponent(s.Name))
		}
	}
	if frontend != nil {
		a.Object(ResFrontendPolicy, objects.FrontendPolicy(m, *net, *frontend, api, reach))
	}
	a.Object(ResAPIPolicy, objects.APIPolicy(m, *net, apiName, api, frontend != nil, reach, db))
	if db.Migration != nil {
		a.Object(ResMigrationPolicy, objects.MigrationPolicy(m, *net, db))
	}
	if db.Provider == resolve.ProviderCNPG {
		a.Object(ResDatabasePolicy, objects.DatabasePolicy(m, *net, api, db.Migration != nil, reach, clients...))
	}
}

// processes are an application's workers and scheduled jobs.
type processes struct {
	workers   []resolve.Worker
	schedules []resolve.Schedule
}

// Processes adds the workers' Deployments and the scheduled jobs'
// CronJobs. Those without an image of their own take serving, the image
// the API serves (its old one while a migration runs, so no process runs
// code the schema is not ready for); with none yet (a new app waiting for
// its first migration) they wait too. Those with the database connection
// get the API's wiring.
func (a *add) Processes(m objects.Meta, procs processes, serving string, wiring objects.Wiring) {
	pick := func(w resolve.Workload, database bool) (resolve.Workload, objects.Wiring, bool) {
		if w.Image == "" {
			w.Image = serving
		}
		if !database {
			return w, objects.Wiring{}, w.Image != ""
		}
		return w, wiring, w.Image != ""
	}
	for _, wk := range procs.workers {
		pods, wr, ok := pick(wk.Pods, wk.Database)
		if !ok {
			a.plan.Pending = append(a.plan.Pending, fmt.Sprintf("%s%s (worker %s: waiting for the API's first version)", ResWorkerPrefix, wk.Name, wk.Name))
			continue
		}
		wk.Pods = pods
		a.Object(pipeline.Name(ResWorkerPrefix+wk.Name), objects.WorkerDeployment(m, wk, wr))
	}
	for _, s := range procs.schedules {
		pods, wr, ok := pick(s.Pods, s.Database)
		if !ok {
			a.plan.Pending = append(a.plan.Pending, fmt.Sprintf("%s%s (schedule %s: waiting for the API's first version)", ResSchedulePrefix, s.Name, s.Name))
			continue
		}
		s.Pods = pods
		a.Object(pipeline.Name(ResSchedulePrefix+s.Name), objects.ScheduleCronJob(m, s, wr))
	}
}

// Database adds the database and its connection Secret, and returns the
// XR's status.database.
func (a *add) Database(r Request, m objects.Meta, db resolve.Database) (*v1alpha1.DatabaseStatus, error) {
	observed := make(map[pipeline.Name]*unstructured.Unstructured, len(r.Observed))
	for n := range r.Observed {
		observed[n] = r.observed(n)
	}
	res, err := database.Compose(database.Request{
		Meta:              m,
		DB:                db,
		Namespaced:        r.XR.GetNamespace() != "",
		ClusterScopedName: names.For(r.XR.GetName()).Database,
		Observed:          observed,
		Required:          r.Required,
		PasswordSeed:      r.PasswordSeed,
		Encoder:           &a.enc,
	})
	if err != nil {
		return nil, err
	}
	a.plan.Database = res
	return &res.Status, nil
}

// target returns the Meta shared by every builder: names and namespace. A
// namespaced (Crossplane v2) XR composes into its own namespace. A
// LegacyCluster XR composes into its claim's namespace and takes the claim's
// name, which is what people know the application by.
func target(xr *unstructured.Unstructured, environment string, owner resolve.Owner) (objects.Meta, error) {
	base, ns := appName(xr)
	if ns == "" {
		return objects.Meta{}, resolve.FieldErrors{field.Required(
			field.NewPath("metadata", "labels").Key(LabelClaimNamespace),
			fmt.Sprintf("a cluster-scoped %s composes namespaced objects and needs a namespace: create it through its claim, "+
				"which sets this label, or use the namespaced XRD", xr.GetKind()))}
	}
	m := objects.Meta{
		Names:       names.For(base),
		Namespace:   ns,
		Composite:   xr.GetName(),
		Environment: environment,
		Owner:       owner.Name,
		Annotations: map[string]string{},
	}
	if owner.Ref != "" {
		m.Annotations[objects.AnnotationOwnerRef] = owner.Ref
	}
	return m, nil
}

// resolveTarget is what resolving reads of the XR: the application's name
// and the XR's annotations.
func resolveTarget(xr *unstructured.Unstructured) resolve.Composite {
	base, _ := appName(xr)
	return resolve.Composite{Name: names.For(base).Base, Annotations: xr.GetAnnotations()}
}

// appName returns the application's name and namespace: the XR's, or for a
// LegacyCluster XR its claim's.
func appName(xr *unstructured.Unstructured) (name, namespace string) {
	name, namespace = xr.GetName(), xr.GetNamespace()
	if namespace == "" {
		labels := xr.GetLabels()
		namespace = labels[LabelClaimNamespace]
		if claim := labels[LabelClaimName]; claim != "" {
			name = claim
		}
	}
	return name, namespace
}
