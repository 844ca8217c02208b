package resolve

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// Limits of the pod settings, as the schema states them.
const (
	maxEnvFrom          = 16
	maxFiles            = 16
	maxCommand          = 32
	maxArgs             = 64
	maxImagePullSecrets = 8
	maxPodAnnotations   = 32
	maxPodLabels        = 16
)

// reservedPodKeyPrefixes start the pod annotation and label keys the
// platform and the controllers set: the app.kubernetes.io labels the
// Services and NetworkPolicies select on, this function's own, Argo
// Rollouts' and the Deployment and Job controllers'.
var reservedPodKeyPrefixes = []string{"app.kubernetes.io/", "fullstack.io/", "rollouts-pod-template-hash", "pod-template-hash",
	"argo-rollouts.argoproj.io/", "batch.kubernetes.io/", "controller-uid", "job-name", "azure.workload.identity/"}

// resolvePodSettings validates what a workload takes from Secrets and
// ConfigMaps (env valueFrom, envFrom, files), its command and arguments, its
// registry credentials and its pods' annotations and labels, and copies
// them into out.
func resolvePodSettings(p *field.Path, in v1alpha1.Process, out *Workload) field.ErrorList {
	var errs field.ErrorList
	name := func(fp *field.Path, n, what string) {
		if n == "" {
			errs = append(errs, field.Required(fp, "the name of a "+what+" in the application's namespace"))
			return
		}
		for _, msg := range validation.IsDNS1123Subdomain(n) {
			errs = append(errs, field.Invalid(fp, n, msg))
		}
	}
	for i, e := range in.Env {
		ep := p.Child("env").Index(i)
		if e.ValueFrom == nil {
			continue
		}
		vp := ep.Child("valueFrom")
		if e.Value != "" {
			errs = append(errs, field.Forbidden(vp, "set value or valueFrom, not both"))
		}
		refs := map[string]*v1alpha1.KeyRef{"secretKeyRef": e.ValueFrom.SecretKeyRef, "configMapKeyRef": e.ValueFrom.ConfigMapKeyRef}
		set := 0
		for _, k := range []string{"secretKeyRef", "configMapKeyRef"} {
			ref := refs[k]
			if ref == nil {
				continue
			}
			set++
			what := "Secret"
			if k == "configMapKeyRef" {
				what = "ConfigMap"
			}
			name(vp.Child(k, "name"), ref.Name, what)
			if ref.Key == "" {
				errs = append(errs, field.Required(vp.Child(k, "key"), "the key whose value the variable takes"))
			}
			for _, msg := range validation.IsConfigMapKey(ref.Key) {
				errs = append(errs, field.Invalid(vp.Child(k, "key"), ref.Key, msg))
			}
		}
		if set != 1 {
			errs = append(errs, field.Invalid(vp, set, "set exactly one of secretKeyRef and configMapKeyRef"))
		}
	}

	if len(in.EnvFrom) > maxEnvFrom {
		errs = append(errs, field.TooMany(p.Child("envFrom"), len(in.EnvFrom), maxEnvFrom))
	}
	for i, e := range in.EnvFrom {
		ep := p.Child("envFrom").Index(i)
		switch {
		case (e.SecretRef == "") == (e.ConfigMapRef == ""):
			errs = append(errs, field.Invalid(ep, "", "set exactly one of secretRef and configMapRef"))
		case e.SecretRef != "":
			name(ep.Child("secretRef"), e.SecretRef, "Secret")
		default:
			name(ep.Child("configMapRef"), e.ConfigMapRef, "ConfigMap")
		}
		if e.Prefix != "" {
			for _, msg := range validation.IsEnvVarName(e.Prefix) {
				errs = append(errs, field.Invalid(ep.Child("prefix"), e.Prefix, msg))
			}
		}
	}

	if len(in.Files) > maxFiles {
		errs = append(errs, field.TooMany(p.Child("files"), len(in.Files), maxFiles))
	}
	seen := map[string]bool{}
	for i, f := range in.Files {
		fp := p.Child("files").Index(i)
		switch {
		case len(f.Path) > 255 || !writablePathRE.MatchString(f.Path) || path.Clean(f.Path) != f.Path:
			errs = append(errs, field.Invalid(fp.Child("path"), f.Path, "must be an absolute, clean directory path such as /etc/app (no . or .. parts, no trailing /)"))
		case within(f.Path, TmpDir) || within(TmpDir, f.Path):
			errs = append(errs, field.Invalid(fp.Child("path"), f.Path, "must not hold or lie under /tmp, which is writable"))
		case within(f.Path, DatabaseCADir) || within(DatabaseCADir, f.Path):
			errs = append(errs, field.Invalid(fp.Child("path"), f.Path, fmt.Sprintf("must not hold or lie under %s, where the database's CA bundle is mounted", DatabaseCADir)))
		case seen[f.Path]:
			errs = append(errs, field.Duplicate(fp.Child("path"), f.Path))
		default:
			for _, w := range out.WritablePaths {
				if within(f.Path, w) || within(w, f.Path) {
					errs = append(errs, field.Invalid(fp.Child("path"), f.Path, fmt.Sprintf("must not hold or lie under the writable path %s", w)))
				}
			}
		}
		seen[f.Path] = true
		switch {
		case (f.ConfigMap == "") == (f.Secret == ""):
			errs = append(errs, field.Invalid(fp, f.Path, "set exactly one of configMap and secret"))
		case f.Secret != "":
			name(fp.Child("secret"), f.Secret, "Secret")
		default:
			name(fp.Child("configMap"), f.ConfigMap, "ConfigMap")
		}
	}

	for _, l := range []struct {
		name string
		list []string
		max  int
	}{{"command", in.Command, maxCommand}, {"args", in.Args, maxArgs}} {
		if len(l.list) > l.max {
			errs = append(errs, field.TooMany(p.Child(l.name), len(l.list), l.max))
		}
		for i, a := range l.list {
			if len(a) > 1024 {
				errs = append(errs, field.TooLong(p.Child(l.name).Index(i), "", 1024))
			}
		}
	}

	if len(in.ImagePullSecrets) > maxImagePullSecrets {
		errs = append(errs, field.TooMany(p.Child("imagePullSecrets"), len(in.ImagePullSecrets), maxImagePullSecrets))
	}
	pulls := map[string]bool{}
	for i, s := range in.ImagePullSecrets {
		ip := p.Child("imagePullSecrets").Index(i)
		if pulls[s] {
			errs = append(errs, field.Duplicate(ip, s))
		}
		pulls[s] = true
		name(ip, s, "Secret")
	}

	errs = append(errs, podKeys(p.Child("podAnnotations"), in.PodAnnotations, maxPodAnnotations, false)...)
	errs = append(errs, podKeys(p.Child("podLabels"), in.PodLabels, maxPodLabels, true)...)

	out.EnvFrom, out.Files = in.EnvFrom, in.Files
	out.Command, out.Args, out.ImagePullSecrets = in.Command, in.Args, in.ImagePullSecrets
	out.PodAnnotations, out.PodLabels = in.PodAnnotations, in.PodLabels
	return errs
}

// podKeys validates pod annotations or labels: qualified names, label
// values where they are labels, and no key the platform sets.
func podKeys(p *field.Path, m map[string]string, limit int, labels bool) field.ErrorList {
	var errs field.ErrorList
	if len(m) > limit {
		errs = append(errs, field.TooMany(p, len(m), limit))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kp := p.Key(k)
		for _, prefix := range reservedPodKeyPrefixes {
			if strings.HasPrefix(k, prefix) || strings.Contains(k, "/"+prefix) {
				errs = append(errs, field.Forbidden(kp, fmt.Sprintf("set by the platform; reserved: %s", strings.Join(reservedPodKeyPrefixes, ", "))))
				break
			}
		}
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(kp, k, msg))
		}
		if labels {
			for _, msg := range validation.IsValidLabelValue(m[k]) {
				errs = append(errs, field.Invalid(kp, m[k], msg))
			}
		}
	}
	return errs
}
