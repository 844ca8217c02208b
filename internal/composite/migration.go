package composite

import (
	"fmt"

	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/ready"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Migration is the migration a plan composed, for the XR's Migrated
// condition.
type Migration struct {
	Job     string
	State   ready.JobState
	Message string
	// Serving is the image the workload keeps until the Job succeeds
	// (empty for a workload not created yet); Image is the new one.
	Serving, Image string
}

// ResMigrationPrefix starts the resource name of a migration Job; the rest
// is the image's hash, so each image has its own Job and a new image never
// updates a finished Job (whose pod template is immutable).
const ResMigrationPrefix = "migration-"

// migrate gates a workload's new image on its migration. With no migration,
// or an image that already serves (observed in one of the workloads), the
// workload is composed as asked and nothing runs. Otherwise a Job runs the
// migration with the new image, and the workload keeps the image it serves
// until the Job has succeeded; a workload that does not exist yet waits
// (compose is false). A failed Job keeps the old image serving.
func (a *add) migrate(r Request, m objects.Meta, workload string, observed []pipeline.Name, w resolve.Workload, db resolve.Database, wiring objects.Wiring) (resolve.Workload, bool) {
	if db.Migration == nil {
		return w, true
	}
	serving := ""
	for _, n := range observed {
		if o := r.observed(n); o != nil {
			if img, ok := pipeline.Value(o.Object, "spec.template.spec.containers[0].image"); ok {
				if s, ok := img.(string); ok {
					serving = s
					break
				}
			}
		}
	}
	if serving == w.Image {
		return w, true
	}
	name := objects.MigrationJobName(workload, w.Image)
	res := pipeline.Name(ResMigrationPrefix + objects.ImageHash(w.Image))
	a.Object(res, objects.MigrationJob(m, name, w, *db.Migration, wiring))
	state, msg := ready.JobOf(r.observed(res))
	a.plan.Migration = &Migration{Job: name, State: state, Message: msg, Serving: serving, Image: w.Image}
	if state == ready.JobSucceeded {
		return w, true
	}
	if serving == "" {
		a.plan.Pending = append(a.plan.Pending, fmt.Sprintf("%s (waiting for migration Job %s with image %s: %s)", workload, name, w.Image, msg))
		return w, false
	}
	held := w
	held.Image = serving
	return held, true
}
