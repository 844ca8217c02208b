// Package objects turns a resolved spec into the composed resources of one
// application: one file per family of kinds, each a set of small pure
// functions named after what they return.
package objects

import (
	"reflect"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Label keys set on every composed object and pod template.
const (
	LabelName        = "app.kubernetes.io/name"
	LabelInstance    = "app.kubernetes.io/instance"
	LabelComponent   = "app.kubernetes.io/component"
	LabelPartOf      = "app.kubernetes.io/part-of"
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	LabelComposite   = "crossplane.io/composite"
	LabelBackstageID = "backstage.io/kubernetes-id"
	LabelEnvironment = "fullstack.io/environment"
	LabelOwner       = "fullstack.io/owner"
	LabelLanguage    = "fullstack.io/language"
	LabelFramework   = "fullstack.io/framework"
	// AnnotationDescription records an XFullStackService's description.
	AnnotationDescription = "fullstack.io/description"
	// AnnotationOwnerRef records the owner's Backstage entity reference
	// (group:default/team-shop) when the XR gave one; LabelOwner holds its
	// name.
	AnnotationOwnerRef = "fullstack.io/owner-ref"
)

// Components, the values of app.kubernetes.io/component.
const (
	ComponentFrontend = "frontend"
	ComponentBackend  = "backend"
	ComponentIngress  = "ingress"
	ComponentDatabase = "database"
	// ComponentService is an XFullStackService's service.
	ComponentService = "service"
	// ComponentIdentity is the application's ServiceAccount.
	ComponentIdentity = "identity"
)

// Meta is what every builder needs to know about the composite.
type Meta struct {
	// Names of every composed object.
	Names names.Names
	// Namespace the composed objects live in: the XR's namespace, or the
	// claim's for a LegacyCluster XR.
	Namespace string
	// Composite is the XR's metadata.name.
	Composite   string
	Environment string
	Owner       string
	// ExtraLabels are added to every object's labels (an
	// XFullStackService's language and framework).
	ExtraLabels map[string]string
	// Annotations of the workload (an XFullStackService's description).
	Annotations map[string]string
	// Identity of the pods' ServiceAccount (Names.ServiceAccount).
	Identity resolve.Identity
}

// Labels returns the labels of a composed object or pod template of the
// supplied component. They let kubectl (-l app.kubernetes.io/instance=NAME)
// and Backstage's Kubernetes plugin (backstage.io/kubernetes-id) find
// everything that belongs to one application.
func (m Meta) Labels(component string) map[string]string {
	l := map[string]string{
		LabelName:        m.Names.Base,
		LabelInstance:    m.Names.Base,
		LabelComponent:   component,
		LabelPartOf:      m.Names.Base,
		LabelManagedBy:   "crossplane",
		LabelComposite:   m.Composite,
		LabelBackstageID: m.Names.Base,
		LabelEnvironment: m.Environment,
		LabelOwner:       m.Owner,
	}
	for k, v := range m.ExtraLabels {
		l[k] = v
	}
	return l
}

// Selector returns the labels that select the pods of a component. They are
// immutable on a Deployment, so they hold only values that never change for
// the life of the XR.
func (m Meta) Selector(component string) map[string]string {
	return map[string]string{
		LabelInstance:  m.Names.Base,
		LabelComponent: component,
	}
}

// ToMap converts a struct (or a pointer to one) to its JSON form as a map,
// without writing and parsing JSON.
func ToMap(o any) (map[string]any, error) {
	// The converter reads through a pointer.
	if v := reflect.ValueOf(o); v.Kind() != reflect.Pointer {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		o = p.Interface()
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(o)
}

// CRDMeta is the metadata of a custom resource built from a local struct.
// metav1.ObjectMeta would add creationTimestamp: null under encoding/json.
type CRDMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Composed is one composed resource: its name in the pipeline (stable for
// the life of the XR, so Crossplane never deletes and recreates it) and the
// object, already in the form the response carries.
type Composed struct {
	Name   pipeline.Name
	Object *structpb.Struct
}

// GroupKind is the object's API group and kind.
func (c Composed) GroupKind() schema.GroupKind {
	return schema.FromAPIVersionAndKind(c.str("apiVersion"), c.Kind()).GroupKind()
}

// Kind is the object's kind.
func (c Composed) Kind() string { return c.str("kind") }

// ObjectName is the object's metadata.name.
func (c Composed) ObjectName() string {
	return c.Object.GetFields()["metadata"].GetStructValue().GetFields()["name"].GetStringValue()
}

func (c Composed) str(key string) string {
	return c.Object.GetFields()[key].GetStringValue()
}

// Unstructured returns a copy of the object to read with unstructured's
// and fieldpath's helpers.
func (c Composed) Unstructured() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.Object = c.Object.AsMap()
	return u
}
