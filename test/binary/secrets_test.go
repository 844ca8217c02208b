package binary

import (
	"encoding/base64"
	"sort"
	"strings"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/test/fake"
)

// secretKeys are the keys whose values are secret in a Secret, a
// connection detail or a function credential; the connection Secret's
// uri and jdbcUrl carry the password.
var secretKeys = map[string]bool{
	database.KeyPassword: true, database.KeyURI: true, database.KeyJDBCURL: true, "seed": true,
	// The keys of the Secret the External Secrets Operator writes from the
	// vault (played: fake.FakeStore), which an application names in env
	// valueFrom.
	"api-key": true, "webhook-secret": true,
}

// TestNoSecretsLeak runs every example, refused variants of them, and
// variants handed the Secrets an application only names,
// through the built binary at --debug over mTLS, and looks for every
// password, seed and secret connection value (as is, and base64-encoded)
// where it must never be: in the logs, the results (which Crossplane turns
// into events), the conditions, the XR's status and everything else the
// function returns, except the Secrets it composes and the XR's connection
// details, whose job is to hold them.
func TestNoSecretsLeak(t *testing.T) {
	p := newPKI(t)
	fn := start(t, "--tls-certs-dir="+p.dir, "--debug")
	client := dial(t, fn.addr, mtls(p))

	reqs := allRequests(t)
	// Refused variants: the same credentials and required Secrets with a
	// spec the function rejects, and with a Composition input it rejects.
	for _, r := range allRequests(t) {
		bad := proto.Clone(r).(*fnv1.RunFunctionRequest)
		bad.Meta.Tag += "/bad-spec"
		xr := bad.GetObserved().GetComposite().GetResource().AsMap()
		xr["spec"].(map[string]any)["environment"] = "staging-but-not-really"
		bad.Observed.Composite.Resource = toStruct(t, xr)
		reqs = append(reqs, bad)
		badInput := proto.Clone(r).(*fnv1.RunFunctionRequest)
		badInput.Meta.Tag += "/bad-input"
		in := badInput.GetInput().AsMap()
		in["ingressReadiness"] = "Eventually"
		badInput.Input = toStruct(t, in)
		reqs = append(reqs, badInput)
	}

	// The Secrets an application only names (the one ESO writes from the
	// vault, env valueFrom, files): handed to the function anyway, as
	// required resources it never asked for, their values must not come
	// back either.
	for _, r := range allRequests(t) {
		withTeam := proto.Clone(r).(*fnv1.RunFunctionRequest)
		withTeam.Meta.Tag += "/team-secrets"
		if withTeam.RequiredResources == nil {
			withTeam.RequiredResources = map[string]*fnv1.Resources{}
		}
		stripe := fake.Secret("paygate", "stripe", fake.FakeStore)
		data := map[string]any{}
		for k, v := range fake.FakeStore {
			data[k] = base64.StdEncoding.EncodeToString([]byte(v))
		}
		delete(stripe, "stringData")
		stripe["data"] = data
		withTeam.RequiredResources["team-secrets"] = &fnv1.Resources{Items: []*fnv1.Resource{{Resource: toStruct(t, stripe)}}}
		reqs = append(reqs, withTeam)
	}

	secrets := map[string]string{} // value -> where it was first seen
	seen := map[string]bool{}      // where secrets were seen
	add := func(where, key, v string) {
		if secretKeys[key] && len(v) >= 6 {
			seen[where+" "+key] = true
			if _, ok := secrets[v]; !ok {
				secrets[v] = where + " " + key
			}
		}
	}
	var rsps []*fnv1.RunFunctionResponse
	for _, req := range reqs {
		for name, c := range req.GetCredentials() {
			for k, v := range c.GetCredentialData().GetData() {
				add("credentials "+name, k, string(v))
			}
		}
		for _, rs := range req.GetRequiredResources() {
			for _, item := range rs.GetItems() {
				addSecretData(item.GetResource().AsMap(), "required Secret", add)
			}
		}
		rsp, err := client.RunFunction(callCtx(t), req)
		if err != nil {
			t.Fatalf("%s: %v", req.GetMeta().GetTag(), err)
		}
		rsps = append(rsps, rsp)
		for name, r := range rsp.GetDesired().GetResources() {
			addSecretData(r.GetResource().AsMap(), "composed "+name, add)
		}
		for k, v := range rsp.GetDesired().GetComposite().GetConnectionDetails() {
			add("XR connection details", k, string(v))
		}
	}
	var kinds []string
	for where := range seen {
		kinds = append(kinds, where)
	}
	sort.Strings(kinds)
	// The test must have something to look for: the Cloud SQL seed, the
	// password the function derives from it, and the connection Secrets'
	// values.
	for _, want := range []string{"credentials " + database.PasswordSeedCredential + " seed", "composed database-password password",
		"composed database-connection password", "composed database-connection uri", "composed database-connection jdbcUrl", "XR connection details password",
		"required Secret api-key", "required Secret webhook-secret"} {
		if !seen[want] {
			t.Fatalf("no %q among the secrets collected: %v", want, kinds)
		}
	}

	leaks := func(what, text string) {
		for v, where := range secrets {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if strings.Contains(text, form) {
					t.Errorf("%s holds the %s", what, where)
				}
			}
		}
	}
	for _, rsp := range rsps {
		tag := rsp.GetMeta().GetTag()
		// What may hold a secret: the composed Secrets' data and the XR's
		// connection details. Everything else is scanned.
		scanned := proto.Clone(rsp).(*fnv1.RunFunctionResponse)
		for name, r := range scanned.GetDesired().GetResources() {
			if r.GetResource().AsMap()["kind"] == "Secret" {
				m := r.GetResource().AsMap()
				delete(m, "data")
				delete(m, "stringData")
				scanned.Desired.Resources[name].Resource = toStruct(t, m)
			}
		}
		if scanned.GetDesired().GetComposite() != nil {
			scanned.Desired.Composite.ConnectionDetails = nil
		}
		for _, r := range scanned.GetResults() {
			leaks(tag+": result "+r.GetMessage()[:min(40, len(r.GetMessage()))], r.GetMessage())
		}
		for _, c := range scanned.GetConditions() {
			leaks(tag+": condition "+c.GetType(), c.GetMessage()+" "+c.GetReason())
		}
		status, _ := yaml.Marshal(scanned.GetDesired().GetComposite().GetResource().AsMap()["status"])
		leaks(tag+": XR status", string(status))
		all, err := protojson.Marshal(scanned)
		if err != nil {
			t.Fatal(err)
		}
		leaks(tag+": response", string(all))
	}
	fn.sigterm(t)
	fn.wait(t, 15*time.Second)
	logs := fn.Output()
	if !strings.Contains(logs, "\tDEBUG\t") || !strings.Contains(logs, "cannot compose") {
		t.Errorf("no debug log lines, or no refusal logged: is --debug on?\n%s", logs[:min(len(logs), 2000)])
	}
	leaks("the function's log (--debug)", logs)
	t.Logf("%d requests (every example, refused variants, and variants handed the Secrets apps only name); %d secret values looked for (%d kinds), in %d responses and %d bytes of debug log; none found",
		len(reqs), len(secrets), len(kinds), len(rsps), len(logs))
}

// addSecretData reports the data of a Secret object, decoded.
func addSecretData(obj map[string]any, where string, add func(where, key, v string)) {
	if obj["kind"] != "Secret" {
		return
	}
	for k, v := range database.SecretData(obj) {
		add(where, k, string(v))
	}
}
