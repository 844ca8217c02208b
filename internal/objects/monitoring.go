package objects

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The types below are the part of monitoring.coreos.com/v1 ServiceMonitor
// and PodMonitor this function sets, checked against the upstream CRDs
// (../shared/crds).

// MonitoringAPIVersion is the Prometheus Operator's API version.
const MonitoringAPIVersion = "monitoring.coreos.com/v1"

// LabelTraffic tells the Services of one workload apart: stable (the one the
// Ingress points at), canary or preview. Argo Rollouts points the canary
// and preview Services at the same pods as the stable one between
// releases, so a ServiceMonitor that selected all three would scrape every
// pod several times.
const LabelTraffic = "fullstack.io/traffic"

// Values of LabelTraffic.
const (
	TrafficStable  = "stable"
	TrafficCanary  = "canary"
	TrafficPreview = "preview"
)

// CNPGMetricsPort is the name of the metrics port of CloudNativePG's pods.
const CNPGMetricsPort = "metrics"

// CNPGClusterLabel is the label CloudNativePG puts on a cluster's pods.
const CNPGClusterLabel = "cnpg.io/cluster"

// ServiceMonitor is a monitoring.coreos.com/v1 ServiceMonitor.
type ServiceMonitor struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   CRDMeta            `json:"metadata"`
	Spec       ServiceMonitorSpec `json:"spec"`
}

// ServiceMonitorSpec selects Services and the endpoints to scrape.
type ServiceMonitorSpec struct {
	Selector  metav1.LabelSelector `json:"selector"`
	Endpoints []ScrapeEndpoint     `json:"endpoints"`
}

// ScrapeEndpoint is a port and path to scrape.
type ScrapeEndpoint struct {
	Port string `json:"port"`
	Path string `json:"path,omitempty"`
}

// PodMonitor is a monitoring.coreos.com/v1 PodMonitor.
type PodMonitor struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   CRDMeta        `json:"metadata"`
	Spec       PodMonitorSpec `json:"spec"`
}

// PodMonitorSpec selects pods and the endpoints to scrape.
type PodMonitorSpec struct {
	Selector            metav1.LabelSelector `json:"selector"`
	PodMetricsEndpoints []ScrapeEndpoint     `json:"podMetricsEndpoints"`
}

// ServiceScrape returns the ServiceMonitor, named name, that scrapes the
// component's pods at path through the component's Services (for an
// XFullStackService the caller narrows it to the stable Service).
func ServiceScrape(m Meta, component, name, path string) *ServiceMonitor {
	sel := m.Selector(component)
	return &ServiceMonitor{
		APIVersion: MonitoringAPIVersion,
		Kind:       "ServiceMonitor",
		Metadata:   CRDMeta{Name: name, Namespace: m.Namespace, Labels: m.Labels(component)},
		Spec: ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: sel},
			Endpoints: []ScrapeEndpoint{{Port: PortName, Path: path}},
		},
	}
}

// DatabaseScrape returns the PodMonitor that scrapes the CloudNativePG
// cluster's pods; CloudNativePG's own spec.monitoring.enablePodMonitor is
// deprecated in favour of a PodMonitor managed next to the cluster.
func DatabaseScrape(m Meta) *PodMonitor {
	return &PodMonitor{
		APIVersion: MonitoringAPIVersion,
		Kind:       "PodMonitor",
		Metadata:   CRDMeta{Name: m.Names.Database, Namespace: m.Namespace, Labels: m.Labels(ComponentDatabase)},
		Spec: PodMonitorSpec{
			Selector:            metav1.LabelSelector{MatchLabels: map[string]string{CNPGClusterLabel: m.Names.Database}},
			PodMetricsEndpoints: []ScrapeEndpoint{{Port: CNPGMetricsPort}},
		},
	}
}
