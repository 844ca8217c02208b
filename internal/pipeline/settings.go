package pipeline

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// EnvironmentKey is the context key function-environment-configs fills
// with the merged data of the EnvironmentConfigs it selected (Crossplane's
// well-known key; function-environment-configs v0.7.1 fn.go).
const EnvironmentKey = "apiextensions.crossplane.io/environment"

// SettingsKey is the key of the environment that holds this function's
// platform settings: the Input's fields (domain, imageRegistry,
// databases, ...) without apiVersion and kind.
const SettingsKey = "fullstack"

// Settings decodes the platform settings into out: the Composition's
// Input, with the settings of the pipeline's environment (EnvironmentKey,
// SettingsKey) merged over it: objects key by key, any other value
// replaced. Unknown fields are refused in both. fromEnvironment says
// whether the environment held settings.
func Settings(req *fnv1.RunFunctionRequest, out any) (fromEnvironment bool, err error) {
	in := req.GetInput()
	env := req.GetContext().GetFields()[EnvironmentKey].GetStructValue().GetFields()[SettingsKey].GetStructValue()
	if env == nil {
		if in == nil {
			return false, nil
		}
		return false, DecodeInput(req, out)
	}
	merged := &structpb.Struct{}
	if in != nil {
		merged = proto.Clone(in).(*structpb.Struct)
	}
	mergeStruct(merged, env)
	return true, decode(JSON(merged), out)
}

// mergeStruct merges src into dst: a key whose values are objects on both
// sides is merged, any other value of src replaces dst's.
func mergeStruct(dst, src *structpb.Struct) {
	if dst.Fields == nil {
		dst.Fields = map[string]*structpb.Value{}
	}
	for k, v := range src.GetFields() {
		if d, s := dst.Fields[k].GetStructValue(), v.GetStructValue(); d != nil && s != nil {
			mergeStruct(d, s)
			continue
		}
		dst.Fields[k] = proto.Clone(v).(*structpb.Value)
	}
}
