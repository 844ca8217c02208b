// Package v1beta1 contains the input type for this Function.
// +kubebuilder:object:generate=true
// +groupName=fullstack.fn.crossplane.io
// +versionName=v1beta1
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// IngressReadiness says when a composed Ingress counts as ready.
// +kubebuilder:validation:Enum=AddressAssigned;Exists
type IngressReadiness string

const (
	// IngressReadyWhenAddressAssigned waits until the ingress controller
	// publishes an address in status.loadBalancer.ingress.
	IngressReadyWhenAddressAssigned IngressReadiness = "AddressAssigned"
	// IngressReadyWhenExists counts the Ingress ready once it is observed.
	// Use it where the ingress controller never publishes an address.
	IngressReadyWhenExists IngressReadiness = "Exists"
)

// Input holds platform-wide settings for the function, set once in the
// Composition by a platform engineer. Every field is optional.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// IngressClassName is used for composed Ingresses whose XR does not set
	// spec.ingress.className. Empty means the cluster's default class.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	IngressClassName string `json:"ingressClassName,omitempty"`

	// IngressReadiness decides when a composed Ingress is ready:
	// AddressAssigned (default) waits for the ingress controller to publish
	// an address; Exists is ready as soon as the Ingress is observed.
	// +optional
	// +kubebuilder:default=AddressAssigned
	IngressReadiness IngressReadiness `json:"ingressReadiness,omitempty"`

	// Domain gives an XFullStackService without spec.ingress.host the host
	// <name>.<domain>, such as orders.apps.example.com.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:MaxLength=200
	Domain string `json:"domain,omitempty"`

	// PrometheusAddress is the Prometheus that delivery analyses query when
	// an XR's spec.delivery.analysis.prometheusAddress is not set, such as
	// http://prometheus-operated.monitoring:9090.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	PrometheusAddress string `json:"prometheusAddress,omitempty"`

	// ImageRegistry is put in front of every image that names no registry:
	// with ghcr.io/acme, orders:1.2 becomes ghcr.io/acme/orders:1.2.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`
	ImageRegistry string `json:"imageRegistry,omitempty"`

	// Databases configures cloud databases: region, network, provider
	// config and the size catalog per provider.
	// +optional
	Databases *Databases `json:"databases,omitempty"`

	// NetworkPolicies configures the NetworkPolicies composed for every
	// application: on by default, and where the ingress controller,
	// Prometheus, the CloudNativePG operator and cloud databases are.
	// +optional
	NetworkPolicies *NetworkPolicies `json:"networkPolicies,omitempty"`

	// Identity completes the cloud identities XRs name in spec.identity: a
	// role or service account name becomes the full ARN or email in the
	// platform's account or project.
	// +optional
	Identity *Identity `json:"identity,omitempty"`

	// ExternalSecrets is the secret store XRs' spec.externalSecrets read
	// from, through the External Secrets Operator.
	// +optional
	ExternalSecrets *ExternalSecrets `json:"externalSecrets,omitempty"`
}

// ExternalSecrets names the platform's secret store.
type ExternalSecrets struct {
	// Name of the store.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	StoreName string `json:"storeName"`
	// Kind of the store: ClusterSecretStore (default, one for the cluster)
	// or SecretStore (one in each application namespace).
	// +optional
	// +kubebuilder:default=ClusterSecretStore
	// +kubebuilder:validation:Enum=ClusterSecretStore;SecretStore
	StoreKind string `json:"storeKind,omitempty"`
}

// Identity is where the platform's cloud identities live.
type Identity struct {
	// AWS account of the IAM roles XRs name without an ARN.
	// +optional
	AWS *AWSIdentity `json:"aws,omitempty"`
	// Google Cloud project of the service accounts XRs name without an
	// email.
	// +optional
	GCP *GCPIdentity `json:"gcp,omitempty"`
}

// AWSIdentity is the platform's AWS account.
type AWSIdentity struct {
	// Account ID, such as 123456789012.
	// +kubebuilder:validation:Pattern=`^[0-9]{12}$`
	AccountID string `json:"accountId"`
	// Partition: aws (default), aws-cn or aws-us-gov.
	// +optional
	// +kubebuilder:validation:Enum=aws;aws-cn;aws-us-gov
	Partition string `json:"partition,omitempty"`
}

// GCPIdentity is the platform's Google Cloud project.
type GCPIdentity struct {
	// Project ID, such as acme-prod.
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`
	Project string `json:"project"`
}

// NetworkPolicies configures the NetworkPolicies composed for every
// application. Namespaces are matched by their kubernetes.io/metadata.name
// label, which Kubernetes sets on every namespace.
type NetworkPolicies struct {
	// Enabled composes NetworkPolicies for every XR whose
	// spec.networkPolicies is Default. Default: true.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`
	// IngressNamespace is where the ingress controller runs; its pods may
	// reach the frontend and the API. Default: ingress-nginx.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	IngressNamespace string `json:"ingressNamespace,omitempty"`
	// PrometheusNamespace is where Prometheus runs; with monitoring on, its
	// pods may scrape the API and PostgreSQL. Default: monitoring.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	PrometheusNamespace string `json:"prometheusNamespace,omitempty"`
	// CloudNativePGNamespace is where the CloudNativePG operator runs; its
	// pods may reach the database's instance manager and PostgreSQL.
	// Default: cnpg-system.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	CloudNativePGNamespace string `json:"cloudNativePGNamespace,omitempty"`
	// DatabaseCIDRs are the address ranges of cloud database endpoints (the
	// RDS subnet group's subnets, Cloud SQL's private services range, the
	// Flexible Server delegated subnet); the API may reach them on the
	// PostgreSQL port. Default: any address (0.0.0.0/0 and ::/0) on that
	// port.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	DatabaseCIDRs []string `json:"databaseCIDRs,omitempty"`
}

// Databases configures the cloud database providers. Region, network and
// provider config come from here (or, for the region, from the XR); nothing
// is hard-coded.
type Databases struct {
	// AWS configures RDS for spec.database.provider: aws.
	// +optional
	AWS *AWSDatabases `json:"aws,omitempty"`
	// GCP configures Cloud SQL for spec.database.provider: gcp.
	// +optional
	GCP *GCPDatabases `json:"gcp,omitempty"`
	// Azure configures Flexible Server for spec.database.provider: azure.
	// +optional
	Azure *AzureDatabases `json:"azure,omitempty"`
}

// ProviderConfig names the provider config the managed resources use.
type ProviderConfig struct {
	// Name of the provider config. Defaults to default.
	// +optional
	Name string `json:"name,omitempty"`
	// Kind of the provider config of namespaced managed resources:
	// ClusterProviderConfig (default) or ProviderConfig.
	// +optional
	// +kubebuilder:validation:Enum=ClusterProviderConfig;ProviderConfig
	Kind string `json:"kind,omitempty"`
}

// AWSDatabases configures RDS instances.
type AWSDatabases struct {
	// Region, such as eu-west-1. An XR's spec.database.region wins.
	// +optional
	Region string `json:"region,omitempty"`
	// DBSubnetGroupName places instances in a VPC. Required.
	// +optional
	DBSubnetGroupName string `json:"dbSubnetGroupName,omitempty"`
	// VPCSecurityGroupIDs attached to every instance. Required.
	// +optional
	VPCSecurityGroupIDs []string `json:"vpcSecurityGroupIds,omitempty"`
	// CABundle is the ConfigMap, in each application's namespace, that
	// holds the CA bundle the backend verifies the server's certificate
	// with (sslmode=verify-full). Default: ConfigMap rds-ca-bundle, key ca.crt,
	// holding the RDS global bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem).
	// +optional
	CABundle *CABundle `json:"caBundle,omitempty"`
	// +optional
	ProviderConfig ProviderConfig `json:"providerConfig,omitempty"`
	// Sizes replaces the built-in catalog; every size an XR uses must be
	// listed.
	// +optional
	Sizes map[string]AWSSize `json:"sizes,omitempty"`
}

// AWSSize is what one size means on RDS.
type AWSSize struct {
	InstanceClass       string `json:"instanceClass"`
	StorageGiB          int64  `json:"storageGiB"`
	MultiAZ             bool   `json:"multiAZ,omitempty"`
	BackupRetentionDays int64  `json:"backupRetentionDays,omitempty"`
}

// GCPDatabases configures Cloud SQL instances.
type GCPDatabases struct {
	// Region, such as europe-west1. An XR's spec.database.region wins.
	// +optional
	Region string `json:"region,omitempty"`
	// PrivateNetwork is the VPC self link instances get a private IP in.
	// Required.
	// +optional
	PrivateNetwork string `json:"privateNetwork,omitempty"`
	// CABundle is the ConfigMap, in each application's namespace, that
	// holds the CA bundle the backend verifies the server's certificate
	// with (sslmode=verify-full). Default: ConfigMap cloudsql-ca-bundle, key ca.crt,
	// holding the server CA of the instances' region (serverCaMode GOOGLE_MANAGED_CAS_CA).
	// +optional
	CABundle *CABundle `json:"caBundle,omitempty"`
	// +optional
	ProviderConfig ProviderConfig `json:"providerConfig,omitempty"`
	// +optional
	Sizes map[string]GCPSize `json:"sizes,omitempty"`
}

// GCPSize is what one size means on Cloud SQL.
type GCPSize struct {
	Tier                string `json:"tier"`
	DiskSizeGB          int64  `json:"diskSizeGB"`
	HighAvailability    bool   `json:"highAvailability,omitempty"`
	BackupRetentionDays int64  `json:"backupRetentionDays,omitempty"`
}

// AzureDatabases configures Flexible Servers.
type AzureDatabases struct {
	// Location, such as westeurope. An XR's spec.database.region wins.
	// +optional
	Location string `json:"location,omitempty"`
	// ResourceGroupName the servers are created in. Required.
	// +optional
	ResourceGroupName string `json:"resourceGroupName,omitempty"`
	// DelegatedSubnetID for private access. Required.
	// +optional
	DelegatedSubnetID string `json:"delegatedSubnetId,omitempty"`
	// PrivateDNSZoneID for private access. Required.
	// +optional
	PrivateDNSZoneID string `json:"privateDnsZoneId,omitempty"`
	// CABundle is the ConfigMap, in each application's namespace, that
	// holds the CA bundle the backend verifies the server's certificate
	// with (sslmode=verify-full). Default: ConfigMap azure-postgres-ca-bundle, key ca.crt,
	// holding DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017.
	// +optional
	CABundle *CABundle `json:"caBundle,omitempty"`
	// +optional
	ProviderConfig ProviderConfig `json:"providerConfig,omitempty"`
	// +optional
	Sizes map[string]AzureSize `json:"sizes,omitempty"`
}

// AzureSize is what one size means on Flexible Server.
type AzureSize struct {
	SKUName             string `json:"skuName"`
	StorageMB           int64  `json:"storageMB"`
	HighAvailability    bool   `json:"highAvailability,omitempty"`
	BackupRetentionDays int64  `json:"backupRetentionDays,omitempty"`
}

// CABundle names a ConfigMap holding PEM certificates. A tool such as
// trust-manager, or the platform's GitOps repository, keeps one in every
// application namespace.
type CABundle struct {
	// ConfigMapName is the ConfigMap's name in the application's namespace.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=253
	ConfigMapName string `json:"configMapName,omitempty"`
	// Key of the PEM bundle in the ConfigMap. Defaults to ca.crt.
	// +optional
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}
