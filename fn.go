package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/composite"
	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/ready"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Condition this function sets on the XR (and its claim). Crossplane owns
// Ready and Synced; this one says which composed resources hold Ready back.
const (
	ConditionResourcesReady = "ResourcesReady"
	ReasonAllReady          = "AllReady"
	ReasonWaiting           = "WaitingForResources"

	// ConditionDelivered says whether the image an XFullStackService asks
	// for serves (reasons: Delivered, Handover, Migrating,
	// MigrationFailed, or the workload's phase).
	ConditionDelivered = "Delivered"

	// ConditionMigrated reports the migration Job of a new image.
	ConditionMigrated        = "Migrated"
	ReasonMigrating          = "Migrating"
	ReasonMigrationSucceeded = "MigrationSucceeded"
	ReasonMigrationFailed    = "MigrationFailed"
)

// Function composes full-stack applications.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log logging.Logger
}

// RunFunction reads the XR, plans its composed resources, decides their
// readiness from observed state, and writes desired state and status.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := pipeline.To(req, pipeline.DefaultTTL)
	log := f.log.WithValues("tag", req.GetMeta().GetTag())

	// The platform settings: the Composition's Input, under what the
	// EnvironmentConfigs set (function-environment-configs, earlier in the
	// pipeline).
	in := &v1beta1.Input{}
	fromEnv, err := pipeline.Settings(req, in)
	cannotGet, invalid := "cannot get the function input from the Composition", "invalid function input in the Composition"
	if fromEnv {
		where := fmt.Sprintf("platform settings (the Composition's function input merged with the EnvironmentConfigs' %q data)", pipeline.SettingsKey)
		cannotGet, invalid = "cannot get the "+where, "invalid "+where
	}
	if err != nil {
		fatal(rsp, log, fmt.Errorf("%s: %w", cannotGet, err))
		return rsp, nil
	}
	platform, err := resolve.PlatformFrom(in)
	if err != nil {
		fatal(rsp, log, fmt.Errorf("%s: %w", invalid, err))
		return rsp, nil
	}

	xr := pipeline.ObservedComposite(req)
	log = log.WithValues("xr-kind", xr.GetKind(), "xr-name", xr.GetName(), "xr-namespace", xr.GetNamespace())

	plan, ok := composite.Planners[xr.GetKind()]
	if !ok {
		fatal(rsp, log, errors.New(field.NotSupported(field.NewPath("kind"), xr.GetKind(), composite.Kinds()).Error()))
		return rsp, nil
	}

	observed := pipeline.ObservedComposed(req)
	p, err := plan(composite.Request{
		XR:           xr,
		Spec:         pipeline.ObservedSpec(req),
		Observed:     observed,
		Platform:     platform,
		Required:     pipeline.Required(req),
		PasswordSeed: pipeline.CredentialData(req, database.PasswordSeedCredential)["seed"],
	})
	if err != nil {
		fatal(rsp, log, fmt.Errorf("cannot compose %s %q: %w", xr.GetKind(), xr.GetName(), err))
		return rsp, nil
	}

	composed, pending := p.Composed(), p.Waiting()
	desired := make(map[string]*fnv1.Resource, len(composed))
	waiting := markReadiness(composed, observed, desired, ready.Options{Ingress: ready.IngressPolicy(in.IngressReadiness)})
	waiting = append(waiting, pending...)
	status, err := statusFields(p.Status)
	if err != nil {
		fatal(rsp, log, fmt.Errorf("cannot set the status of the composite resource: %w", err))
		return rsp, nil
	}
	// Desired state arrives in the response as the request sent it (earlier
	// steps' resources and XR); it is changed only here, where nothing can
	// fail: the composed resources are added, and the XR gets its status
	// and connection details.
	setDesiredComposed(rsp, desired)
	db := p.Database
	if db == nil {
		db = &database.Result{}
	}
	setDesiredComposite(rsp, status, db.ConnectionDetails)
	if len(db.Requirements) > 0 {
		rsp.Requirements = &fnv1.Requirements{Resources: db.Requirements}
	}

	for _, w := range db.Warnings {
		pipeline.Warning(rsp, w)
	}
	setReadyCondition(rsp, waiting, len(composed)+len(pending))
	setMigratedCondition(rsp, p.Migration)
	if c := p.Delivered; c != nil {
		pipeline.Condition(rsp, ConditionDelivered, c.Status, c.Reason, c.Message)
	}
	pipeline.SetTTL(rsp, ttl(p, waiting))
	log.Debug("composed", "resources", len(composed), "not-ready", len(waiting))
	return rsp, nil
}

// ttl decides when Crossplane calls again if nothing it watches changes
// first: soon while something the function waits for is on its way, in a
// minute while a person or a timer must act (a failed migration, a
// degraded rollout, one paused at a step), and rarely once everything is
// ready and the image asked for serves.
func ttl(p *composite.Plan, waiting []string) time.Duration {
	switch {
	case p.Migration != nil && p.Migration.State == ready.JobFailed,
		p.Delivered != nil && (p.Delivered.Reason == ready.RolloutDegraded || p.Delivered.Reason == ready.RolloutPaused):
		return pipeline.DefaultTTL
	case len(waiting) > 0,
		p.Migration != nil && p.Migration.State != ready.JobSucceeded,
		p.Delivered != nil && !p.Delivered.Status:
		return pipeline.TTLInProgress
	}
	return pipeline.TTLSteady
}

// fatal sets the one Fatal result of a call, which leaves desired state as
// it came, and logs it.
func fatal(rsp *fnv1.RunFunctionResponse, log logging.Logger, err error) {
	log.Info("cannot compose", "error", err.Error())
	pipeline.Fatal(rsp, err.Error())
}

// markReadiness adds the planned resources to desired state, each marked
// ready or not from its observed state, and returns what is not ready and why.
func markReadiness(planned []objects.Composed, observed map[pipeline.Name]*unstructured.Unstructured, desired map[string]*fnv1.Resource, opts ready.Options) []string {
	var waiting []string
	for _, r := range planned {
		res := ready.Of(r.GroupKind(), observed[r.Name], opts)
		dc := &fnv1.Resource{Resource: r.Object, Ready: fnv1.Ready_READY_FALSE}
		if res.Ready {
			dc.Ready = fnv1.Ready_READY_TRUE
		} else {
			waiting = append(waiting, fmt.Sprintf("%s (%s %s: %s)", r.Name, r.Kind(), r.ObjectName(), res.Reason))
		}
		desired[string(r.Name)] = dc
	}
	return waiting
}

// setReadyCondition sets ResourcesReady on the XR and its claim, naming
// every resource that holds it back.
func setReadyCondition(rsp *fnv1.RunFunctionResponse, waiting []string, total int) {
	if len(waiting) == 0 {
		pipeline.Condition(rsp, ConditionResourcesReady, true, ReasonAllReady, fmt.Sprintf("all %d composed resources are ready", total))
		return
	}
	sort.Strings(waiting)
	pipeline.Condition(rsp, ConditionResourcesReady, false, ReasonWaiting,
		fmt.Sprintf("%d of %d composed resources not ready: %s", len(waiting), total, strings.Join(waiting, "; ")))
}

// setMigratedCondition reports a migration Job on the XR and its claim:
// running, succeeded, or failed with the Job's reason, and which image
// keeps serving.
func setMigratedCondition(rsp *fnv1.RunFunctionResponse, m *composite.Migration) {
	if m == nil {
		return
	}
	serving := "no version serves until it succeeds"
	if m.Serving != "" {
		serving = fmt.Sprintf("%s keeps serving", m.Serving)
	}
	switch m.State {
	case ready.JobSucceeded:
		pipeline.Condition(rsp, ConditionMigrated, true, ReasonMigrationSucceeded, fmt.Sprintf("migration Job %s for %s succeeded", m.Job, m.Image))
	case ready.JobFailed:
		msg := fmt.Sprintf("migration Job %s for %s %s; %s. Fix the migration and set a new image, or delete the Job to run it again",
			m.Job, m.Image, m.Message, serving)
		pipeline.Condition(rsp, ConditionMigrated, false, ReasonMigrationFailed, msg)
		pipeline.Warning(rsp, msg)
	default:
		pipeline.Condition(rsp, ConditionMigrated, false, ReasonMigrating, fmt.Sprintf("migration Job %s for %s %s; %s", m.Job, m.Image, m.Message, serving))
	}
}

// statusFields turns a typed status into the fields of the XR's status.
func statusFields(status any) (map[string]*structpb.Value, error) {
	m, err := objects.ToMap(status)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*structpb.Value, len(m))
	for k, v := range m {
		if out[k], err = structpb.NewValue(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setDesiredComposed adds the composed resources to desired state, keeping
// what earlier functions in the pipeline composed under other names.
func setDesiredComposed(rsp *fnv1.RunFunctionResponse, desired map[string]*fnv1.Resource) {
	if rsp.Desired == nil {
		rsp.Desired = &fnv1.State{}
	}
	if rsp.Desired.Resources == nil {
		rsp.Desired.Resources = make(map[string]*fnv1.Resource, len(desired))
	}
	for name, r := range desired {
		rsp.Desired.Resources[name] = r
	}
}

// setDesiredComposite merges the status fields into the desired XR's
// status, keeping what earlier functions in the pipeline set under other
// keys, and sets its connection details when the plan has them.
func setDesiredComposite(rsp *fnv1.RunFunctionResponse, status map[string]*structpb.Value, cd pipeline.ConnectionDetails) {
	if rsp.Desired == nil {
		rsp.Desired = &fnv1.State{}
	}
	dc := rsp.Desired.GetComposite()
	if dc == nil {
		dc = &fnv1.Resource{}
		rsp.Desired.Composite = dc
	}
	if dc.Resource == nil {
		dc.Resource = &structpb.Struct{}
	}
	if dc.Resource.Fields == nil {
		dc.Resource.Fields = map[string]*structpb.Value{}
	}
	st := dc.Resource.Fields["status"].GetStructValue()
	if st == nil {
		st = &structpb.Struct{}
		dc.Resource.Fields["status"] = structpb.NewStructValue(st)
	}
	if st.Fields == nil {
		st.Fields = make(map[string]*structpb.Value, len(status))
	}
	for k, v := range status {
		st.Fields[k] = v
	}
	if cd != nil {
		dc.ConnectionDetails = cd
	}
}
