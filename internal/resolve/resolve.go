// Package resolve turns the spec of a composite resource into a resolved
// spec: defaults applied (from the XRD, the environment profile and the
// platform's Input), every field validated, and every problem reported with
// its field path, before anything is built.
package resolve

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

var (
	imageRE        = regexp.MustCompile(v1alpha1.ImagePattern)
	identifierRE   = regexp.MustCompile(v1alpha1.IdentifierPattern)
	regionRE       = regexp.MustCompile(v1alpha1.RegionPattern)
	httpPathRE     = regexp.MustCompile(v1alpha1.HTTPPathPattern)
	writablePathRE = regexp.MustCompile(v1alpha1.WritablePathPattern)
)

// Platform holds the defaults a platform engineer sets in the function's
// Input; they apply where the XR is silent.
type Platform struct {
	IngressClassName string
	// Domain gives an XFullStackService without spec.ingress.host the host
	// <name>.<domain>.
	Domain string
	// PrometheusAddress is the Prometheus an analysis queries when the XR
	// names none.
	PrometheusAddress string
	// ImageRegistry is put in front of an image that names no registry
	// (api:1.2 becomes <registry>/api:1.2).
	ImageRegistry string
	// Databases configures the cloud database providers.
	Databases v1beta1.Databases
	// Network is the platform's NetworkPolicy settings.
	Network NetworkPlatform
	// Identity is where the platform's cloud identities live.
	Identity v1beta1.Identity
	// ExternalSecrets is the platform's secret store, nil for none.
	ExternalSecrets *v1beta1.ExternalSecrets
}

// decode reads the spec of a composite resource, as JSON, into out. No
// spec (nil) is an error. Unknown fields are ignored (Crossplane adds its
// own under spec.crossplane and, for LegacyCluster XRs, directly under
// spec); a field of the wrong type is reported with its path.
func decode(spec []byte, out any) *field.Error {
	root := field.NewPath("spec")
	if spec == nil {
		return field.Required(root, "the composite resource has no spec")
	}
	if err := json.Unmarshal(spec, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := root
			for _, part := range strings.Split(te.Field, ".") {
				// encoding/json names an inlined struct by its Go name
				// (frontend.Container.replicas); every JSON name of the
				// API starts lower-case, every Go name upper-case.
				if part != "" && !unicode.IsUpper(rune(part[0])) {
					p = p.Child(part)
				}
			}
			return field.TypeInvalid(p, te.Value, fmt.Sprintf("must be of type %s", jsonType(te.Type.Kind().String())))
		}
		return field.Invalid(root, "", err.Error())
	}
	return nil
}

func jsonType(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "integer"
	case goKind == "slice":
		return "array"
	case goKind == "struct", goKind == "map":
		return "object"
	case goKind == "bool":
		return "boolean"
	}
	return goKind
}

// Composite is what resolving reads of the XR besides its spec.
type Composite struct {
	// Name of the application: the XR's, or its claim's.
	Name        string
	Annotations map[string]string
}

// backstageOwnerAnnotation is where Backstage's claim-template action
// writes the owner the form's OwnerPicker chose.
const backstageOwnerAnnotation = "terasky.backstage.io/owner"

var ownerRE = regexp.MustCompile(v1alpha1.OwnerPattern)

// Owner is the owning team: Name for the owner label, and the full Backstage
// entity reference (group:default/team-shop) when one was given.
type Owner struct {
	Name string
	Ref  string
}

// resolveOwner reads spec.owner, else the annotation a Backstage form
// writes. An entity reference gives its name to the label.
func resolveOwner(path *field.Path, owner string, c Composite) (Owner, field.ErrorList) {
	if owner == "" {
		if owner = c.Annotations[backstageOwnerAnnotation]; owner != "" {
			path = field.NewPath("metadata", "annotations").Key(backstageOwnerAnnotation)
		}
	}
	if owner == "" {
		return Owner{}, field.ErrorList{field.Required(path, "the owning team, such as team-payments or group:default/team-payments; "+
			"a Backstage form sets the "+backstageOwnerAnnotation+" annotation instead")}
	}
	if len(owner) > 253 || !ownerRE.MatchString(owner) {
		return Owner{}, field.ErrorList{field.Invalid(path, owner, "must be a team name such as team-payments, or an entity reference such as group:default/team-payments")}
	}
	name := owner
	if i := strings.LastIndexAny(name, ":/"); i >= 0 {
		name = name[i+1:]
	}
	var errs field.ErrorList
	for _, msg := range validation.IsValidLabelValue(name) {
		errs = append(errs, field.Invalid(path, owner, msg))
	}
	out := Owner{Name: name}
	if name != owner {
		out.Ref = owner
	}
	return out, errs
}

// switchOf resolves a three-way switch: the mode (Default, Enabled,
// Disabled), else the profile. explicit says whether the XR decided.
func switchOf(mode string, profile bool) (on, explicit bool) {
	switch mode {
	case v1alpha1.SwitchEnabled:
		return true, true
	case v1alpha1.SwitchDisabled:
		return false, true
	}
	return profile, false
}

// switchedOff says which field turned a three-way switch off.
func switchedOff(path *field.Path) string {
	return path.Child("mode").String() + " is Disabled"
}

// switches lists the values of a three-way switch.
var switches = []string{v1alpha1.SwitchDefault, v1alpha1.SwitchEnabled, v1alpha1.SwitchDisabled}

func validateSwitch(path *field.Path, mode string) field.ErrorList {
	if mode == "" {
		return nil
	}
	return oneOf(path, mode, switches)
}

func oneOf(path *field.Path, v string, allowed []string) field.ErrorList {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(path, v, allowed)}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FieldErrors is a list of field errors that reads as one message, each
// error naming its field path.
type FieldErrors field.ErrorList

func (e FieldErrors) Error() string {
	msgs := make([]string, 0, len(e))
	for _, fe := range e {
		msgs = append(msgs, fe.Error())
	}
	return strings.Join(msgs, "; ")
}

// DecodeSpec decodes the spec of a composite resource (JSON, nil when it
// has none) into out, its apis/v1alpha1 spec type.
func DecodeSpec(spec []byte, out any) error {
	if err := decode(spec, out); err != nil {
		return FieldErrors{err}
	}
	return nil
}
