package main

import (
	"encoding/json"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
)

// FuzzRunFunction feeds arbitrary specs to the function. Whatever the spec,
// it must not panic, and it must either compose (no Fatal result) or leave
// desired state exactly as it received it (one Fatal result). `go test`
// runs the seeds; `go test -fuzz=FuzzRunFunction` explores.
func FuzzRunFunction(f *testing.F) {
	base := map[string]*fnv1.RunFunctionRequest{}
	for _, e := range examples(f) {
		req := e.request(f)
		base[e.Name] = req
		spec, err := json.Marshal(req.GetObserved().GetComposite().GetResource().AsMap()["spec"])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(e.Name, spec)
	}
	f.Add("xnodeapp", []byte(`{"database":{"size":"huge","provider":"oracle"},"frontend":{"port":-1}}`))
	f.Add("fullstack-gcp", []byte(`{"owner":"x","frontend":{"image":"a"},"backend":{"image":"b","env":[{"name":"PORT"}]},"ingress":{"mode":"Disabled"}}`))
	f.Add("nodeapp-claim-aws", []byte(`{"frontend":[],"backend":null,"database":"x"}`))
	f.Add("fullstack-canary-prod", []byte(`{"owner":"x","environment":"production","backend":{"image":"a"},"delivery":{"steps":[{"setWeight":200},{"pause":{"duration":"x"}},{"analysis":{}}],"analysis":{"count":0,"successRate":-1}},"autoscaling":{"minReplicas":5,"maxReplicas":1}}`))
	f.Add("fullstack-bluegreen", []byte(`{"owner":"x","backend":{"image":"a"},"delivery":{"strategy":"blueGreen","steps":[{}],"promotion":"Manual"},"frontend":{"image":""}}`))
	f.Add("fullstack-dev", []byte(`{"owner":"x","backend":{"image":"a","replicas":0},"autoscaling":{"enabled":true},"monitoring":{"mode":"Enabled","path":"metrics"}}`))

	// Hidden corners: unicode, huge strings, deep nesting, wrong types,
	// numbers at the edges.
	f.Add("xnodeapp", []byte(`{"owner":"team-ß","frontend":{"image":"ghcr.io/acme/wéb:1","env":[{"name":"ÄPFEL","value":"\u0000\ud83d\ude00"}]},"backend":{"image":"ghcr.io/acme/api:1"},"ingress":{"host":"xn--shp-sna.example.com"}}`))
	f.Add("xnodeapp", []byte(`{"owner":"t","frontend":{"image":"`+strings.Repeat("a", 1<<16)+`"},"backend":{"image":"b","writablePaths":["/`+strings.Repeat("x/", 4096)+`"]}}`))
	f.Add("fullstack-dev", []byte(strings.Repeat(`{"backend":`, 512)+`{}`+strings.Repeat(`}`, 512)))
	f.Add("fullstack-dev", []byte(`{"owner":1,"backend":{"image":true,"port":1e300,"replicas":-9223372036854775808},"networkPolicies":["Enabled"],"delivery":"canary"}`))
	f.Add("xnodeapp-migration", []byte(`{"owner":"x","frontend":{"image":"a"},"backend":{"image":"b"},"database":{"migration":{"command":[""],"timeoutSeconds":0}},"networkPolicies":"Disabled"}`))
	f.Add("fullstack-aws", []byte(`{"owner":"x","backend":{"image":"a","writablePaths":["/tmp","/tmp","/etc/fullstack/db-ca/x",".."]},"database":{"storage":"1Ei","provider":"aws"}}`))
	f.Add("nodeapp-claim", []byte(`null`))
	f.Add("nodeapp-claim", []byte(`[]`))
	f.Add("fullstack-gcp", []byte(`{"owner":"x","backend":{"image":"a","env":[{"name":"HOME","value":"/home/app"},{"name":"HOME"}]}}`))

	f.Fuzz(func(t *testing.T, example string, spec []byte) {
		template, ok := base[example]
		if !ok {
			return
		}
		var s any
		if err := json.Unmarshal(spec, &s); err != nil {
			return
		}
		req := proto.Clone(template).(*fnv1.RunFunctionRequest)
		xr := req.GetObserved().GetComposite().GetResource().AsMap()
		xr["spec"] = s
		req.Observed.Composite.Resource = toStruct(t, xr)

		rsp := run(t, req)
		fatal := messages(rsp, fnv1.Severity_SEVERITY_FATAL)
		switch {
		case len(fatal) > 1:
			t.Fatalf("more than one fatal result: %v", fatal)
		case len(fatal) == 1 && !proto.Equal(req.GetDesired(), rsp.GetDesired()):
			t.Fatalf("a fatal result (%s) came with a changed desired state", fatal[0])
		case len(fatal) == 0 && len(rsp.GetDesired().GetResources()) == 0:
			t.Fatalf("no fatal result and nothing composed")
		}
	})
}
