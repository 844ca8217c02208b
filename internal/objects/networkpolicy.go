package objects

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Ports the NetworkPolicies open besides the workloads' own.
const (
	// PostgresPort is where every provider's PostgreSQL listens.
	PostgresPort = 5432
	// CNPGStatusPort is the CloudNativePG instance manager's status
	// endpoint, which the operator calls.
	CNPGStatusPort = 8000
	// CNPGMetricsPortNumber is CNPGMetricsPort's number.
	CNPGMetricsPortNumber = 9187
	// DNSPort is where cluster DNS answers, over UDP and TCP.
	DNSPort = 53
)

// LabelNamespaceName is the label Kubernetes sets on every namespace to its
// name; the policies select the ingress controller's, Prometheus's and the
// CloudNativePG operator's namespaces by it.
const LabelNamespaceName = "kubernetes.io/metadata.name"

// API is what the NetworkPolicies need to know about the workload that
// serves the application's API (an XNodeApp's backend, an
// XFullStackService's service).
type API struct {
	Component string
	Port      int32
	// Ports are its other ports.
	Ports []resolve.Port
	// Internal lets the application's own pods (its workers and scheduled
	// jobs, the frontend) in on every port.
	Internal bool
}

// allPorts are the API's main port and its others.
func (a API) allPorts() []int32 {
	out := []int32{a.Port}
	for _, p := range a.Ports {
		out = append(out, p.Number)
	}
	return out
}

// Reach is who may reach an application's pods.
type Reach struct {
	// Ingress is true when an Ingress routes to the frontend and the API.
	Ingress bool
	// Monitoring lets Prometheus scrape the API and PostgreSQL.
	Monitoring bool
}

// FrontendPolicy lets into the frontend's pods only the ingress controller,
// and out only to the API and DNS.
func FrontendPolicy(m Meta, net resolve.Network, fe resolve.Workload, api API, reach Reach) *networkingv1.NetworkPolicy {
	var in []networkingv1.NetworkPolicyIngressRule
	if reach.Ingress {
		in = append(in, networkingv1.NetworkPolicyIngressRule{
			From:  []networkingv1.NetworkPolicyPeer{namespacePeer(net.IngressNamespace)},
			Ports: tcp(fe.Port),
		})
	}
	out := []networkingv1.NetworkPolicyEgressRule{
		{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: m.Selector(api.Component)}}}, Ports: tcp(api.Port)},
		dnsRule(),
	}
	return networkPolicy(m, m.Names.Frontend, ComponentFrontend, in, out, true)
}

// APIPolicy lets into the API's pods the ingress controller, the frontend
// and, with monitoring, Prometheus, all on the API's port; and out only to
// its database and DNS.
func APIPolicy(m Meta, net resolve.Network, name string, api API, frontend bool, reach Reach, db resolve.Database) *networkingv1.NetworkPolicy {
	var from []networkingv1.NetworkPolicyPeer
	if reach.Ingress {
		from = append(from, namespacePeer(net.IngressNamespace))
	}
	if frontend {
		from = append(from, networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: m.Selector(ComponentFrontend)}})
	}
	if reach.Monitoring {
		from = append(from, namespacePeer(net.PrometheusNamespace))
	}
	var in []networkingv1.NetworkPolicyIngressRule
	if len(from) > 0 {
		in = []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: tcp(api.Port)}}
	}
	if api.Internal {
		in = append(in, networkingv1.NetworkPolicyIngressRule{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelInstance: m.Names.Base}}}},
			Ports: tcp(api.allPorts()...),
		})
	}
	return networkPolicy(m, name, api.Component, in, []networkingv1.NetworkPolicyEgressRule{databaseRule(m, net, db), dnsRule()}, true)
}

// MigrationPolicy lets nothing into the migration Jobs' pods, and out only
// to the database and DNS.
func MigrationPolicy(m Meta, net resolve.Network, db resolve.Database) *networkingv1.NetworkPolicy {
	return networkPolicy(m, m.Names.Migration, ComponentMigration, nil, []networkingv1.NetworkPolicyEgressRule{databaseRule(m, net, db), dnsRule()}, true)
}

// DatabasePolicy lets into a CloudNativePG cluster's pods the API and the
// migration Jobs (and the workers and scheduled jobs with the database
// connection, others) on the PostgreSQL port, the operator on the instance
// manager's status port and PostgreSQL's, the cluster's own pods
// (replication, and the Jobs that bootstrap and join instances), and, with
// monitoring, Prometheus on the metrics port. Egress is left open: the
// instance manager talks to the Kubernetes API server, whose address the
// function does not know.
func DatabasePolicy(m Meta, net resolve.Network, api API, migration bool, reach Reach, others ...string) *networkingv1.NetworkPolicy {
	clients := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: m.Selector(api.Component)}}}
	if migration {
		clients = append(clients, networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: m.Selector(ComponentMigration)}})
	}
	for _, c := range others {
		clients = append(clients, networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: m.Selector(c)}})
	}
	in := []networkingv1.NetworkPolicyIngressRule{
		{From: clients, Ports: tcp(PostgresPort)},
		{From: []networkingv1.NetworkPolicyPeer{namespacePeer(net.CNPGNamespace)}, Ports: tcp(CNPGStatusPort, PostgresPort)},
		{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: cnpgPods(m)}}}},
	}
	if reach.Monitoring {
		in = append(in, networkingv1.NetworkPolicyIngressRule{
			From: []networkingv1.NetworkPolicyPeer{namespacePeer(net.PrometheusNamespace)}, Ports: tcp(CNPGMetricsPortNumber),
		})
	}
	p := networkPolicy(m, m.Names.Database, ComponentDatabase, in, nil, false)
	p.Spec.PodSelector = metav1.LabelSelector{MatchLabels: cnpgPods(m)}
	return p
}

// networkPolicy selects one component's pods. Every policy limits ingress;
// with egress, it limits egress too, and what is not listed is denied.
func networkPolicy(m Meta, name, component string, in []networkingv1.NetworkPolicyIngressRule, out []networkingv1.NetworkPolicyEgressRule, egress bool) *networkingv1.NetworkPolicy {
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if egress {
		types = append(types, networkingv1.PolicyTypeEgress)
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.Namespace, Labels: m.Labels(component)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: m.Selector(component)},
			PolicyTypes: types,
			Ingress:     in,
			Egress:      out,
		},
	}
}

// databaseRule lets out to the database on the PostgreSQL port: the
// CloudNativePG cluster's pods, or a cloud database's address ranges.
func databaseRule(m Meta, net resolve.Network, db resolve.Database) networkingv1.NetworkPolicyEgressRule {
	if db.Provider == resolve.ProviderCNPG {
		return networkingv1.NetworkPolicyEgressRule{
			To:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: cnpgPods(m)}}},
			Ports: tcp(PostgresPort),
		}
	}
	to := make([]networkingv1.NetworkPolicyPeer, 0, len(net.DatabaseCIDRs))
	for _, c := range net.DatabaseCIDRs {
		to = append(to, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
	}
	return networkingv1.NetworkPolicyEgressRule{To: to, Ports: tcp(PostgresPort)}
}

// dnsRule lets out DNS queries, over UDP and TCP, to any address: cluster
// DNS is a Service in kube-system on most clusters, and a node-local
// address with NodeLocal DNSCache.
func dnsRule() networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{
		{Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To(intstr.FromInt32(DNSPort))},
		{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(DNSPort))},
	}}
}

func namespacePeer(ns string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelNamespaceName: ns}}}
}

// cnpgPods selects the pods CloudNativePG runs for the cluster: instances
// and the Jobs that bootstrap and join them.
func cnpgPods(m Meta) map[string]string {
	return map[string]string{CNPGClusterLabel: m.Names.Database}
}

func tcp(ports ...int32) []networkingv1.NetworkPolicyPort {
	out := make([]networkingv1.NetworkPolicyPort, 0, len(ports))
	for _, p := range ports {
		out = append(out, networkingv1.NetworkPolicyPort{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(p))})
	}
	return out
}
