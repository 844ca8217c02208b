package objects

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Paths the Ingress routes.
const (
	FrontendPath = "/"
	BackendPath  = "/api"
)

// Service returns the ClusterIP Service in front of one workload: port 80
// to its main port, and each of its other ports on the same number.
func Service(m Meta, component, name string, extra []resolve.Port) *corev1.Service {
	s := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.Namespace, Labels: m.Labels(component)},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: m.Selector(component),
			Ports: []corev1.ServicePort{{
				Name:       PortName,
				Port:       ServicePort,
				TargetPort: intstr.FromString(PortName),
				Protocol:   corev1.ProtocolTCP,
			}},
		},
	}
	for _, p := range extra {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.Name, Port: p.Number, TargetPort: intstr.FromString(p.Name), Protocol: corev1.ProtocolTCP})
	}
	return s
}

// ServiceURL is the in-cluster URL of a composed Service.
func ServiceURL(m Meta, service string) string {
	return fmt.Sprintf("http://%s.%s.svc", service, m.Namespace)
}

// Route sends one path prefix of the Ingress host to a Service.
type Route struct {
	Path    string
	Service string
}

// Ingress routes each path prefix to its Service (an XNodeApp: / to the
// frontend and /api to the backend). With TLS it asks cert-manager, through
// its ingress-shim annotation, for a certificate stored in the TLS Secret.
func Ingress(m Meta, in resolve.Ingress, routes []Route) *networkingv1.Ingress {
	paths := make([]networkingv1.HTTPIngressPath, 0, len(routes))
	for _, r := range routes {
		paths = append(paths, ingressPath(r.Path, r.Service))
	}
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Name: m.Names.Ingress, Namespace: m.Namespace, Labels: m.Labels(ComponentIngress)},
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{
				Host: in.Host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: paths,
				}},
			}},
		},
	}
	if in.ClassName != "" {
		ing.Spec.IngressClassName = ptr.To(in.ClassName)
	}
	if in.TLS {
		key := "cert-manager.io/cluster-issuer"
		if in.IssuerKind == "Issuer" {
			key = "cert-manager.io/issuer"
		}
		ing.Annotations = map[string]string{key: in.IssuerName}
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{in.Host}, SecretName: m.Names.TLS}}
	}
	return ing
}

func ingressPath(path, service string) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{
		Path:     path,
		PathType: ptr.To(networkingv1.PathTypePrefix),
		Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: service,
			Port: networkingv1.ServiceBackendPort{Name: PortName},
		}},
	}
}

// URL is where people reach the application: the Ingress host, or the
// frontend's in-cluster address when the Ingress is off.
// The in-cluster address is that of the Service at /: front.
func URL(m Meta, in resolve.Ingress, front string) string {
	switch {
	case !in.Enabled:
		return ServiceURL(m, front)
	case in.TLS:
		return "https://" + in.Host
	default:
		return "http://" + in.Host
	}
}
