package composite

import (
	"fmt"
	"slices"
	"strings"

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
// is the hash of its pod template (objects.TemplateHash), so each image,
// command or environment has its own Job, and a change never updates an
// existing Job's pod template, which the API server refuses.
const ResMigrationPrefix = "migration-"

// MaxMigrated bounds the images objects.AnnotationMigrated lists.
const MaxMigrated = 10

// migrate gates a workload's new image on its migration. With no migration,
// an image that already serves (observed in one of the workloads), or one
// whose migration already succeeded (a rollback), the workload is composed
// as asked and nothing runs. Otherwise a Job runs the migration with the new
// image, and the workload keeps the image it serves until the Job has
// succeeded; a workload that does not exist yet waits (compose is false). A
// failed Job keeps the old image serving. The images migrated so far are
// returned for the workload's objects.AnnotationMigrated (Workload.Migrated).
func (a *add) migrate(r Request, m objects.Meta, workload string, observed []pipeline.Name, w resolve.Workload, db resolve.Database, wiring objects.Wiring) (resolve.Workload, bool, string) {
	if db.Migration == nil {
		return w, true, ""
	}
	serving, migrated := "", ""
	for _, n := range observed {
		if o := r.observed(n); o != nil {
			if img, ok := pipeline.Value(o.Object, "spec.template.spec.containers[0].image"); ok {
				if s, ok := img.(string); ok && serving == "" {
					serving = s
				}
			}
			if l := o.GetAnnotations()[objects.AnnotationMigrated]; l != "" && migrated == "" {
				migrated = l
			}
		}
	}
	if serving == w.Image || slices.Contains(strings.Fields(migrated), w.Image) {
		return w, true, remember(migrated, w.Image)
	}
	job := objects.MigrationJob(m, "", w, *db.Migration, wiring)
	hash, err := objects.TemplateHash(job.Spec.Template)
	if err != nil {
		a.err = err
		return w, false, migrated
	}
	job.Name = objects.MigrationJobName(workload, hash)
	res := pipeline.Name(ResMigrationPrefix + hash)
	a.Object(res, job)
	state, msg := ready.JobOf(r.observed(res))
	a.plan.Migration = &Migration{Job: job.Name, State: state, Message: msg, Serving: serving, Image: w.Image}
	if state == ready.JobSucceeded {
		return w, true, remember(migrated, w.Image)
	}
	if serving == "" {
		a.plan.Pending = append(a.plan.Pending, fmt.Sprintf("%s (waiting for migration Job %s with image %s: %s)", workload, job.Name, w.Image, msg))
		return w, false, migrated
	}
	held := w
	held.Image = serving
	return held, true, remember(migrated, serving)
}

// remember adds image to a space-separated list of migrated images, newest
// last, keeping the last MaxMigrated.
func remember(list, image string) string {
	images := slices.DeleteFunc(strings.Fields(list), func(s string) bool { return s == image })
	images = append(images, image)
	if len(images) > MaxMigrated {
		images = images[len(images)-MaxMigrated:]
	}
	return strings.Join(images, " ")
}
