package netpol

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// Where the peers of an application run: the function's defaults for the
// Input's networkPolicies (docs/xnodeapp.md "Network policies"). No example's Input
// moves them.
const (
	ingressNamespace    = "ingress-nginx"
	prometheusNamespace = "monitoring"
	cnpgNamespace       = "cnpg-system"
)

// object is the part of a rendered object this test reads.
type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// workload is a Deployment, Rollout or Job; a CloudNativePG Cluster's
// inheritedMetadata rides along.
type workload struct {
	Spec struct {
		Template struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Spec corev1.PodSpec `json:"spec"`
		} `json:"template"`
		InheritedMetadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"inheritedMetadata"`
	} `json:"spec"`
}

// xr is what the test reads of the XR's spec.
type xr struct {
	Spec struct {
		Ingress struct {
			Mode string `json:"mode"`
		} `json:"ingress"`
		Monitoring struct {
			Mode string `json:"mode"`
		} `json:"monitoring"`
		Database struct {
			Provider  string `json:"provider"`
			Migration *struct {
				Command []string `json:"command"`
			} `json:"migration"`
		} `json:"database"`
	} `json:"spec"`
}

// app is what one example composes: its NetworkPolicies, its pods, and
// what its XR asks for.
type app struct {
	namespace  string
	policies   []*networkingv1.NetworkPolicy
	pods       map[string]*pod // by component
	ingress    bool
	monitoring bool
	provider   string
	migration  bool
	apiPort    int
}

type pod struct {
	labels map[string]string
	ip     string
	port   int // the container's http port; 0 for the database
}

// read reads every golden render of an example: the policies are the same
// in every scenario; a workload some scenario does not compose yet (a
// backend waiting for its migration) is taken from another.
func read(t *testing.T, dir string) *app {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "golden", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden renders in %s", dir)
	}
	sort.Strings(files)
	a := &app{pods: map[string]*pod{}}
	seen := map[string]bool{}
	ip := 10
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(b, []byte("\n---")) {
			var o object
			if err := yaml.Unmarshal(doc, &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			composed := o.Metadata.Annotations["crossplane.io/composition-resource-name"] != ""
			var w workload
			if o.Kind == "Deployment" || o.Kind == "Rollout" || o.Kind == "Job" || o.Kind == "Cluster" {
				if err := yaml.Unmarshal(doc, &w); err != nil {
					t.Fatalf("%s: %s %s: %v", f, o.Kind, o.Metadata.Name, err)
				}
			}
			switch {
			case !composed && (o.Kind == "XNodeApp" || o.Kind == "XFullStackService"):
				var x xr
				if err := yaml.Unmarshal(doc, &x); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				a.ingress = x.Spec.Ingress.Mode != "Disabled"
				a.monitoring = x.Spec.Monitoring.Mode == "Enabled"
				a.provider = x.Spec.Database.Provider
				a.migration = x.Spec.Database.Migration != nil && len(x.Spec.Database.Migration.Command) > 0
			case o.Kind == "NetworkPolicy" && !seen[o.Metadata.Name]:
				seen[o.Metadata.Name] = true
				var np networkingv1.NetworkPolicy
				if err := yaml.UnmarshalStrict(doc, &np); err != nil {
					t.Fatalf("%s: NetworkPolicy %s: %v", f, o.Metadata.Name, err)
				}
				a.policies = append(a.policies, &np)
				a.namespace = np.Namespace
			case o.Kind == "Deployment" || o.Kind == "Rollout" || o.Kind == "Job":
				c := w.Spec.Template.Metadata.Labels["app.kubernetes.io/component"]
				if a.pods[c] != nil {
					continue
				}
				p := &pod{labels: w.Spec.Template.Metadata.Labels, ip: fmt.Sprintf("10.244.1.%d", ip)}
				ip++
				if ports := w.Spec.Template.Spec.Containers[0].Ports; len(ports) > 0 {
					p.port = int(ports[0].ContainerPort)
				}
				if o.Kind == "Rollout" {
					// Argo Rollouts adds its hash to the pods it creates.
					p.labels = with(p.labels, "rollouts-pod-template-hash", "5d8f7c9b6")
				}
				a.pods[c] = p
			case o.Kind == "Cluster" && a.pods["database"] == nil:
				// The labels CloudNativePG v1.30 puts on an instance pod
				// (pkg/specs/pods.go): the inherited ones and its own.
				labels := with(w.Spec.InheritedMetadata.Labels, "cnpg.io/cluster", o.Metadata.Name)
				labels = with(labels, "cnpg.io/instanceName", o.Metadata.Name+"-1")
				labels = with(labels, "cnpg.io/podRole", "instance")
				labels = with(labels, "cnpg.io/instanceRole", "primary")
				a.pods["database"] = &pod{labels: labels, ip: "10.244.2.10"}
			}
		}
	}
	if a.provider == "" {
		a.provider = "cnpg"
	}
	for _, c := range []string{"backend", "service"} {
		if p := a.pods[c]; p != nil {
			a.pods["api"] = p
			a.apiPort = p.port
		}
	}
	return a
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// peer is one end of a connection.
type peer struct {
	name string
	tp   *matcher.TrafficPeer
}

func internal(name, namespace, ip string, labels map[string]string) peer {
	return peer{name: name, tp: &matcher.TrafficPeer{IP: ip, Internal: &matcher.InternalPeer{
		Namespace: namespace, NamespaceLabels: map[string]string{"kubernetes.io/metadata.name": namespace}, PodLabels: labels,
	}}}
}

func external(name, ip string) peer {
	return peer{name: name, tp: &matcher.TrafficPeer{IP: ip}}
}

// connection is one row of the table: from, to, port and the verdict the
// function means to get.
type connection struct {
	from, to peer
	port     int
	protocol corev1.Protocol
	allowed  bool
}

// TestNetworkPolicies evaluates, for every example, a table of connections
// against the NetworkPolicies the function composed (as `crossplane render`
// rendered them into the golden files), with cyclonus's policy engine. It
// also proves the table can fail: with no policies, cyclonus allows every
// connection the table denies.
func TestNetworkPolicies(t *testing.T) {
	dirs, err := filepath.Glob("../../example/*/golden")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	total, denied := 0, 0
	for _, d := range dirs {
		dir := filepath.Dir(d)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			a := read(t, dir)
			if len(a.policies) == 0 {
				t.Fatalf("%s composes no NetworkPolicy", name)
			}
			rows := connections(t, a)
			policy := matcher.BuildNetworkPolicies(true, a.policies)
			open := matcher.BuildNetworkPolicies(true, nil)
			var table strings.Builder
			fmt.Fprintf(&table, "%s (%s database, ingress %v, monitoring %v, migration %v): %d policies\n",
				name, a.provider, a.ingress, a.monitoring, a.migration, len(a.policies))
			for _, r := range rows {
				tr := &matcher.Traffic{Source: r.from.tp, Destination: r.to.tp, ResolvedPort: r.port, Protocol: r.protocol}
				if r.to.tp.Internal != nil && r.port != 5432 && r.port != 8000 && r.port != 9187 && r.port != 53 {
					tr.ResolvedPortName = "http"
				}
				got := policy.IsTrafficAllowed(tr).IsAllowed()
				verdict := map[bool]string{true: "allowed", false: "denied"}
				fmt.Fprintf(&table, "  %-34s -> %-34s %5d/%-3s cyclonus: %-7s want: %s\n", r.from.name, r.to.name, r.port, r.protocol, verdict[got], verdict[r.allowed])
				if got != r.allowed {
					t.Errorf("%s -> %s on %d/%s: cyclonus says %s, want %s\n%s", r.from.name, r.to.name, r.port, r.protocol,
						verdict[got], verdict[r.allowed], policy.IsTrafficAllowed(tr).Table())
				}
				if !r.allowed && !open.IsTrafficAllowed(tr).IsAllowed() {
					t.Errorf("%s -> %s: denied even without policies; the row proves nothing", r.from.name, r.to.name)
				}
				total++
				if !r.allowed {
					denied++
				}
			}
			t.Log("\n" + table.String())
		})
	}
	t.Logf("%d connections over %d examples, %d of them denied", total, len(dirs), denied)
}

// connections is the table for one app: what must be allowed and what must
// be denied, given what its XR asks for.
func connections(t *testing.T, a *app) []connection {
	t.Helper()
	ns := a.namespace
	api, db, fe, mig := a.pods["api"], a.pods["database"], a.pods["frontend"], a.pods["migration"]
	if api == nil {
		t.Fatalf("no API workload among the renders")
	}
	pod := func(component string, p *pod) peer {
		return internal(ns+"/"+component, ns, p.ip, p.labels)
	}
	ingressController := internal("ingress-nginx/controller", ingressNamespace, "10.244.9.2",
		map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"})
	prometheus := internal("monitoring/prometheus", prometheusNamespace, "10.244.9.3", map[string]string{"app.kubernetes.io/name": "prometheus"})
	operator := internal("cnpg-system/operator", cnpgNamespace, "10.244.9.4", map[string]string{"app.kubernetes.io/name": "cloudnative-pg"})
	dns := internal("kube-system/coredns", "kube-system", "10.244.9.5", map[string]string{"k8s-app": "kube-dns"})
	neighbour := internal(ns+"/another-app", ns, "10.244.1.99", map[string]string{"app.kubernetes.io/instance": "another-app", "app.kubernetes.io/component": "backend"})
	stranger := internal("other-team/pod", "other-team", "10.244.7.7", map[string]string{"app.kubernetes.io/instance": "intruder"})
	otherDB := internal("other-team/postgres", "other-team", "10.244.7.8", map[string]string{"cnpg.io/cluster": "other-db"})
	internet := external("internet 203.0.113.50", "203.0.113.50")
	apiServer := external("kube-apiserver 10.96.0.1", "10.96.0.1")

	apiPeer := pod("api", api)
	tcp := corev1.ProtocolTCP
	rows := []connection{
		{from: ingressController, to: apiPeer, port: api.port, protocol: tcp, allowed: a.ingress},
		{from: neighbour, to: apiPeer, port: api.port, protocol: tcp},
		{from: stranger, to: apiPeer, port: api.port, protocol: tcp},
		{from: prometheus, to: apiPeer, port: api.port, protocol: tcp, allowed: a.monitoring},
		{from: apiPeer, to: dns, port: 53, protocol: corev1.ProtocolUDP, allowed: true},
		{from: apiPeer, to: dns, port: 53, protocol: tcp, allowed: true},
		{from: apiPeer, to: internet, port: 443, protocol: tcp},
		{from: apiPeer, to: otherDB, port: 5432, protocol: tcp, allowed: a.provider != "cnpg" && cidrsCoverEverything(a)},
		{from: apiPeer, to: stranger, port: 8080, protocol: tcp},
	}
	if fe != nil {
		fePeer := pod("frontend", fe)
		rows = append(rows,
			connection{from: ingressController, to: fePeer, port: fe.port, protocol: tcp, allowed: a.ingress},
			connection{from: fePeer, to: apiPeer, port: api.port, protocol: tcp, allowed: true},
			connection{from: apiPeer, to: fePeer, port: fe.port, protocol: tcp},
			connection{from: fePeer, to: dns, port: 53, protocol: corev1.ProtocolUDP, allowed: true},
			connection{from: fePeer, to: internet, port: 443, protocol: tcp},
			connection{from: neighbour, to: fePeer, port: fe.port, protocol: tcp},
			connection{from: stranger, to: fePeer, port: fe.port, protocol: tcp},
			connection{from: prometheus, to: fePeer, port: fe.port, protocol: tcp},
		)
		if db != nil {
			rows = append(rows, connection{from: fePeer, to: pod("database", db), port: 5432, protocol: tcp})
		}
	}
	if db != nil {
		dbPeer := pod("database", db)
		replica := internal(ns+"/database replica", ns, "10.244.2.11", with(db.labels, "cnpg.io/instanceRole", "replica"))
		rows = append(rows,
			connection{from: apiPeer, to: dbPeer, port: 5432, protocol: tcp, allowed: true},
			connection{from: operator, to: dbPeer, port: 8000, protocol: tcp, allowed: true},
			connection{from: operator, to: dbPeer, port: 5432, protocol: tcp, allowed: true},
			connection{from: replica, to: dbPeer, port: 5432, protocol: tcp, allowed: true},
			connection{from: prometheus, to: dbPeer, port: 9187, protocol: tcp, allowed: a.monitoring},
			connection{from: ingressController, to: dbPeer, port: 5432, protocol: tcp},
			connection{from: neighbour, to: dbPeer, port: 5432, protocol: tcp},
			connection{from: stranger, to: dbPeer, port: 5432, protocol: tcp},
			connection{from: stranger, to: dbPeer, port: 8000, protocol: tcp},
			// The instance manager talks to the API server: egress stays open.
			connection{from: dbPeer, to: apiServer, port: 443, protocol: tcp, allowed: true},
		)
	} else {
		inside, outside := external("database endpoint "+a.insideIP(), a.insideIP()), external("10.30.0.5", "10.30.0.5")
		rows = append(rows,
			connection{from: apiPeer, to: inside, port: 5432, protocol: tcp, allowed: true},
			connection{from: apiPeer, to: inside, port: 22, protocol: tcp},
			connection{from: apiPeer, to: outside, port: 5432, protocol: tcp, allowed: cidrsCoverEverything(a)},
		)
	}
	if a.migration {
		if mig == nil {
			t.Fatalf("the XR asks for a migration and no render composes its Job")
		}
		migPeer := pod("migration", mig)
		if db != nil {
			rows = append(rows, connection{from: migPeer, to: pod("database", db), port: 5432, protocol: tcp, allowed: true})
		}
		rows = append(rows,
			connection{from: migPeer, to: dns, port: 53, protocol: corev1.ProtocolUDP, allowed: true},
			connection{from: migPeer, to: internet, port: 443, protocol: tcp},
			connection{from: ingressController, to: migPeer, port: api.port, protocol: tcp},
			connection{from: migPeer, to: apiPeer, port: api.port, protocol: tcp},
		)
	}
	return rows
}

// databaseCIDRs are the ranges the API's database rule names, read from
// the composed policy.
func (a *app) databaseCIDRs() []string {
	var out []string
	for _, p := range a.policies {
		for _, e := range p.Spec.Egress {
			for _, to := range e.To {
				if to.IPBlock != nil {
					out = append(out, to.IPBlock.CIDR)
				}
			}
		}
	}
	return out
}

func cidrsCoverEverything(a *app) bool {
	for _, c := range a.databaseCIDRs() {
		if c == "0.0.0.0/0" {
			return true
		}
	}
	return false
}

// insideIP is an address inside the first database range: where the cloud
// database's endpoint is.
func (a *app) insideIP() string {
	cidrs := a.databaseCIDRs()
	if len(cidrs) == 0 || cidrs[0] == "0.0.0.0/0" {
		return "10.20.3.4"
	}
	base := strings.SplitN(cidrs[0], "/", 2)[0]
	parts := strings.Split(base, ".")
	parts[3] = "4"
	return strings.Join(parts, ".")
}
