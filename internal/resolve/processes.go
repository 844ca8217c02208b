package resolve

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// Worker is a background process with every default applied: its container
// (no port, no probes) and what it takes from the API.
type Worker struct {
	Name string
	// Pods is the container; Image is the worker's own, or empty for the
	// API's (decided by the planner, which knows what the API serves).
	Pods Workload
	// Database gives it the database connection.
	Database bool
}

// Schedule is a scheduled job with every default applied.
type Schedule struct {
	Name              string
	Pods              Workload
	Database          bool
	Schedule          string
	TimeZone          string
	ConcurrencyPolicy string
	TimeoutSeconds    int64
	// SuccessfulJobsHistoryLimit and FailedJobsHistoryLimit are how many
	// finished runs are kept.
	SuccessfulJobsHistoryLimit, FailedJobsHistoryLimit int32
}

// Defaults of a scheduled job.
const (
	defaultScheduleTimeoutSeconds = 3600
	defaultJobsHistoryLimit       = 3
	defaultConcurrencyPolicy      = "Forbid"
	// maxProcesses bounds workers and schedules (the schema's maxItems).
	maxProcesses = 8
	// maxProcessName bounds their names.
	maxProcessName = 20
)

// concurrencyPolicies are a CronJob's.
var concurrencyPolicies = []string{"Forbid", "Allow", "Replace"}

var (
	processNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// cronField is one field of a five-field cron schedule: numbers,
	// names, ranges, lists, steps and *; the CronJob controller (robfig
	// cron's standard parser) decides the rest.
	cronField  = `[0-9A-Za-z*?/,-]+`
	cronRE     = regexp.MustCompile(`^` + cronField + `( ` + cronField + `){4}$`)
	cronMacros = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)

// inherit gives a process what it does not set itself from the API: the
// image (left empty here, for the planner), environment, Secrets and
// ConfigMaps taken as environment or files, registry credentials and pod
// metadata. Its own environment variables win by name; its files must not
// share a path with the API's.
func inherit(p *field.Path, own Workload, api Workload) (Workload, field.ErrorList) {
	var errs field.ErrorList
	out := own
	env := make([]v1alpha1.EnvVar, 0, len(api.Env)+len(own.Env))
	mine := map[string]bool{}
	for _, e := range own.Env {
		mine[e.Name] = true
	}
	for _, e := range api.Env {
		if !mine[e.Name] {
			env = append(env, e)
		}
	}
	out.Env = append(env, own.Env...)
	out.EnvFrom = append(append([]v1alpha1.EnvFromSource{}, api.EnvFrom...), own.EnvFrom...)
	files := map[string]bool{}
	for _, f := range api.Files {
		files[f.Path] = true
	}
	for i, f := range own.Files {
		if files[f.Path] {
			errs = append(errs, field.Duplicate(p.Child("files").Index(i).Child("path"), f.Path))
		}
	}
	out.Files = append(append([]v1alpha1.File{}, api.Files...), own.Files...)
	pulls := append([]string{}, api.ImagePullSecrets...)
	for _, s := range own.ImagePullSecrets {
		if !slices.Contains(pulls, s) {
			pulls = append(pulls, s)
		}
	}
	out.ImagePullSecrets = pulls
	out.PodAnnotations = mergeMaps(api.PodAnnotations, own.PodAnnotations)
	out.PodLabels = mergeMaps(api.PodLabels, own.PodLabels)
	return out, errs
}

func mergeMaps(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// processName validates a worker's or schedule's name, unique among its
// kind.
func processName(p *field.Path, name string, seen map[string]bool) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "a name such as queue")}
	case len(name) > maxProcessName || !processNameRE.MatchString(name):
		return field.ErrorList{field.Invalid(p, name, fmt.Sprintf("must be at most %d lowercase letters, digits and hyphens, starting with a letter", maxProcessName))}
	case seen[name]:
		return field.ErrorList{field.Duplicate(p, name)}
	}
	seen[name] = true
	return nil
}

// processImage validates a worker's or schedule's own image.
func processImage(p *field.Path, image, registry string) (string, field.ErrorList) {
	if image == "" {
		return "", nil
	}
	out := qualifyImage(image, registry)
	if !imageRE.MatchString(out) {
		return out, field.ErrorList{field.Invalid(p, image, "must be a container image reference: [registry[:port]/]repository[:tag][@sha256:digest], lower-case repository")}
	}
	return out, nil
}

// processDatabase reads a process's database switch.
func processDatabase(p *field.Path, v string) (bool, field.ErrorList) {
	switch v {
	case "", v1alpha1.SwitchDisabled:
		return false, nil
	case v1alpha1.SwitchEnabled:
		return true, nil
	}
	return false, field.ErrorList{field.NotSupported(p, v, []string{v1alpha1.SwitchEnabled, v1alpha1.SwitchDisabled})}
}

// resolveProcessOf resolves what a worker and a scheduled job share: a
// name unique among its kind, its own settings (no writable paths by
// default), what it takes from the API, and its own image if it names one.
func resolveProcessOf(p *field.Path, name, image string, in v1alpha1.Process, api Workload, d workloadDefaults, seen map[string]bool) (Workload, field.ErrorList) {
	errs := processName(p.Child("name"), name, seen)
	d.writable = nil
	var own Workload
	errs = append(errs, resolveProcess(p, in, d, &own)...)
	pods, ierrs := inherit(p, own, api)
	errs = append(errs, ierrs...)
	var ferrs field.ErrorList
	pods.Image, ferrs = processImage(p.Child("image"), image, d.registry)
	return pods, append(errs, ferrs...)
}

// resolveWorkers resolves the workers of an application whose API is api.
func resolveWorkers(path *field.Path, in []v1alpha1.Worker, api Workload, d workloadDefaults) ([]Worker, field.ErrorList) {
	var errs field.ErrorList
	if len(in) > maxProcesses {
		return nil, field.ErrorList{field.TooMany(path, len(in), maxProcesses)}
	}
	seen := map[string]bool{}
	out := make([]Worker, 0, len(in))
	for i, w := range in {
		p := path.Index(i)
		pods, perrs := resolveProcessOf(p, w.Name, w.Image, w.Process, api, d, seen)
		errs = append(errs, perrs...)
		replicas := int64(1)
		if w.Replicas != nil {
			replicas = *w.Replicas
		}
		if replicas < 0 || replicas > v1alpha1.MaxReplicas {
			errs = append(errs, field.Invalid(p.Child("replicas"), replicas, fmt.Sprintf("must be between 0 and %d, inclusive", v1alpha1.MaxReplicas)))
		}
		pods.Replicas = int32(replicas)
		db, derrs := processDatabase(p.Child("database"), w.Database)
		errs = append(errs, derrs...)
		out = append(out, Worker{Name: w.Name, Pods: pods, Database: db})
	}
	return out, errs
}

// resolveSchedules resolves the scheduled jobs of an application whose API
// is api.
func resolveSchedules(path *field.Path, in []v1alpha1.Schedule, api Workload, d workloadDefaults) ([]Schedule, field.ErrorList) {
	var errs field.ErrorList
	if len(in) > maxProcesses {
		return nil, field.ErrorList{field.TooMany(path, len(in), maxProcesses)}
	}
	seen := map[string]bool{}
	out := make([]Schedule, 0, len(in))
	for i, s := range in {
		p := path.Index(i)
		pods, perrs := resolveProcessOf(p, s.Name, s.Image, s.Process, api, d, seen)
		errs = append(errs, perrs...)
		if len(s.Command) == 0 {
			errs = append(errs, field.Required(p.Child("command"), "what the job runs, such as [npm, run, report]"))
		}
		sched := strings.TrimSpace(s.Schedule)
		if !cronRE.MatchString(sched) && !slices.Contains(cronMacros, sched) {
			errs = append(errs, field.Invalid(p.Child("schedule"), s.Schedule,
				fmt.Sprintf("must be a cron schedule of five fields, such as \"0 3 * * *\", or one of %s", strings.Join(cronMacros, ", "))))
		}
		if s.TimeZone != "" && (strings.Contains(s.TimeZone, "..") || len(s.TimeZone) > 64) {
			errs = append(errs, field.Invalid(p.Child("timeZone"), s.TimeZone, "must be an IANA time zone such as Europe/Berlin"))
		}
		policy := orDefault(s.ConcurrencyPolicy, defaultConcurrencyPolicy)
		errs = append(errs, oneOf(p.Child("concurrencyPolicy"), policy, concurrencyPolicies)...)
		timeout := int64(defaultScheduleTimeoutSeconds)
		if s.TimeoutSeconds != nil {
			timeout = *s.TimeoutSeconds
		}
		if timeout < 30 || timeout > 86400 {
			errs = append(errs, field.Invalid(p.Child("timeoutSeconds"), timeout, "must be between 30 and 86400, inclusive"))
		}
		limits := [2]int32{defaultJobsHistoryLimit, defaultJobsHistoryLimit}
		for j, l := range []struct {
			name string
			v    *int64
		}{{"successfulJobsHistoryLimit", s.SuccessfulJobsHistoryLimit}, {"failedJobsHistoryLimit", s.FailedJobsHistoryLimit}} {
			if l.v == nil {
				continue
			}
			if *l.v < 0 || *l.v > 20 {
				errs = append(errs, field.Invalid(p.Child(l.name), *l.v, "must be between 0 and 20, inclusive"))
				continue
			}
			limits[j] = int32(*l.v)
		}
		db, derrs := processDatabase(p.Child("database"), s.Database)
		errs = append(errs, derrs...)
		out = append(out, Schedule{
			Name: s.Name, Pods: pods, Database: db, Schedule: sched, TimeZone: s.TimeZone, ConcurrencyPolicy: policy,
			TimeoutSeconds: timeout, SuccessfulJobsHistoryLimit: limits[0], FailedJobsHistoryLimit: limits[1],
		})
	}
	return out, errs
}
