// Package pipeline is the function's side of Crossplane's RunFunction
// protocol: it reads what a request carries (the XR, the observed composed
// resources, the required resources, credentials, the Input) into
// apimachinery's unstructured objects, and writes results and conditions
// into the response.
//
// It does what function-sdk-go's request, response and resource packages
// do for this function, on the SDK's protobuf types, without importing
// them: they bring crossplane-runtime, controller-runtime and client-go's
// scheme of every Kubernetes API into the binary, which the function does
// not use and which doubled its resident memory at start.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"google.golang.org/protobuf/types/known/durationpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Name is a composed resource's name in the pipeline: stable for the life
// of the XR, so Crossplane never deletes and recreates it.
type Name string

// ConnectionDetails are a resource's connection details.
type ConnectionDetails map[string][]byte

// The TTL of a response is when Crossplane calls the pipeline again for
// the XR if nothing it watches changes first: with realtime compositions
// (on by default since Crossplane v2) it requeues the XR after the
// shortest TTL any step of the pipeline returned, and reconciles at once
// when a composed or required resource changes. The function picks one of
// three from what the XR is doing (docs/operations.md, "How often
// Crossplane calls the function").
const (
	// TTLInProgress: something the function waits for is on its way (a
	// composed resource not ready, a required resource not there yet, a
	// migration Job running, a rollout or handover under way). It bounds
	// what a missed watch event costs (the XR's event circuit breaker drops
	// events; Crossplane releases before v2.4 do not watch required
	// resources) to a few seconds.
	TTLInProgress = 5 * time.Second
	// DefaultTTL: the spec is refused, or something waits for a person or
	// a timer (a failed migration, a degraded or paused rollout); what
	// moves it next is a change Crossplane watches.
	DefaultTTL = time.Minute
	// TTLSteady: every composed resource is ready and the image asked for
	// serves; only a change (which Crossplane watches) needs a new call.
	TTLSteady = 10 * time.Minute
)

// ObservedComposite returns the observed XR.
func ObservedComposite(req *fnv1.RunFunctionRequest) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: req.GetObserved().GetComposite().GetResource().AsMap()}
}

// ObservedComposed returns the observed composed resources by name.
func ObservedComposed(req *fnv1.RunFunctionRequest) map[Name]*unstructured.Unstructured {
	rs := req.GetObserved().GetResources()
	out := make(map[Name]*unstructured.Unstructured, len(rs))
	for name, r := range rs {
		out[Name(name)] = &unstructured.Unstructured{Object: r.GetResource().AsMap()}
	}
	return out
}

// Required returns the resources Crossplane fetched on the function's
// request, by requirement name.
func Required(req *fnv1.RunFunctionRequest) map[string][]*unstructured.Unstructured {
	rs := req.GetRequiredResources()
	out := make(map[string][]*unstructured.Unstructured, len(rs))
	for name, items := range rs {
		l := make([]*unstructured.Unstructured, 0, len(items.GetItems()))
		for _, i := range items.GetItems() {
			l = append(l, &unstructured.Unstructured{Object: i.GetResource().AsMap()})
		}
		out[name] = l
	}
	return out
}

// CredentialData returns the data of the named credentials, or nil when
// the request has none of that name or they are not data.
func CredentialData(req *fnv1.RunFunctionRequest, name string) map[string][]byte {
	return req.GetCredentials()[name].GetCredentialData().GetData()
}

// DecodeInput decodes the function's Input from the Composition into out.
// Unknown fields are refused, and names match exactly.
func DecodeInput(req *fnv1.RunFunctionRequest, out any) error {
	return decode(JSON(req.GetInput()), out)
}

// decode reads JSON into out, refusing unknown names, and words an error
// the same way every time: the JSON library alternates between equivalent
// phrasings on purpose ("cannot", "unable to"), and a function's results
// must not change from one call to the next for the same request.
func decode(b []byte, out any) error {
	// Decoding through a Decoder leaves it where the error happened: its
	// stack names the member (this version of the library sets no pointer
	// on its errors).
	d := jsontext.NewDecoder(bytes.NewReader(b))
	err := json.UnmarshalDecode(d, out, json.RejectUnknownMembers(true))
	var se *json.SemanticError
	if !errors.As(err, &se) {
		return err
	}
	ptr := se.JSONPointer
	if ptr == "" {
		ptr = d.StackPointer()
	}
	var parts []string
	for tok := range ptr.Tokens() {
		parts = append(parts, tok)
	}
	what := "invalid value"
	switch {
	case se.Err != nil && strings.HasPrefix(se.Err.Error(), "unknown name "):
		// The path ends with the name.
		what = "unknown field"
	case se.Err != nil:
		what = se.Err.Error()
	case se.GoType != nil && se.JSONKind != 0:
		what = fmt.Sprintf("a JSON %s where a %s belongs", se.JSONKind, se.GoType.Kind())
	}
	if len(parts) == 0 {
		return errors.New(what)
	}
	return fmt.Errorf("%s: %s", strings.Join(parts, "."), what)
}

// ObservedSpec returns the observed XR's spec as JSON, for decoding into
// its typed spec, or nil when the XR has no spec object.
func ObservedSpec(req *fnv1.RunFunctionRequest) []byte {
	spec := req.GetObserved().GetComposite().GetResource().GetFields()["spec"].GetStructValue()
	if spec == nil {
		return nil
	}
	return JSON(spec)
}

// To starts the response to a request: its tag, a TTL, and the desired
// state and context as the request sent them (what earlier functions in
// the pipeline set).
func To(req *fnv1.RunFunctionRequest, ttl time.Duration) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:    &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag(), Ttl: durationpb.New(ttl)},
		Desired: req.GetDesired(),
		Context: req.GetContext(),
	}
}

// SetTTL sets how long Crossplane may wait before it calls again.
func SetTTL(rsp *fnv1.RunFunctionResponse, ttl time.Duration) {
	if rsp.Meta == nil {
		rsp.Meta = &fnv1.ResponseMeta{}
	}
	rsp.Meta.Ttl = durationpb.New(ttl)
}

// Fatal adds a fatal result: Crossplane stops the pipeline and keeps the
// XR's composed resources as they are. It can target only the XR.
func Fatal(rsp *fnv1.RunFunctionResponse, msg string) {
	rsp.Results = append(rsp.Results, &fnv1.Result{
		Severity: fnv1.Severity_SEVERITY_FATAL,
		Message:  msg,
		Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
	})
}

// Warning adds a warning result, an event on the XR and its claim.
func Warning(rsp *fnv1.RunFunctionResponse, msg string) {
	rsp.Results = append(rsp.Results, &fnv1.Result{
		Severity: fnv1.Severity_SEVERITY_WARNING,
		Message:  msg,
		Target:   fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	})
}

// Condition sets a condition on the XR and its claim.
func Condition(rsp *fnv1.RunFunctionResponse, typ string, status bool, reason, msg string) {
	s := fnv1.Status_STATUS_CONDITION_FALSE
	if status {
		s = fnv1.Status_STATUS_CONDITION_TRUE
	}
	rsp.Conditions = append(rsp.Conditions, &fnv1.Condition{
		Type:    typ,
		Status:  s,
		Reason:  reason,
		Message: &msg,
		Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	})
}
