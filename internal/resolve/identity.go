package resolve

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// Identity is who an application's pods are: their ServiceAccount's cloud
// identities, complete (an ARN, an email), and whether a Kubernetes API
// token is mounted.
type Identity struct {
	AWSRoleARN        string
	GCPServiceAccount string
	AzureClientID     string
	// KubernetesAPIToken mounts the ServiceAccount's token.
	KubernetesAPIToken bool
}

// The annotations and label the clouds' workload identity webhooks and
// metadata servers read.
const (
	// AnnotationAWSRoleARN: EKS Pod Identity Webhook (IRSA).
	AnnotationAWSRoleARN = "eks.amazonaws.com/role-arn"
	// AnnotationGCPServiceAccount: GKE Workload Identity.
	AnnotationGCPServiceAccount = "iam.gke.io/gcp-service-account"
	// AnnotationAzureClientID: Azure Workload Identity, on the
	// ServiceAccount; its webhook injects the token into pods that carry
	// LabelAzureWorkloadIdentity.
	AnnotationAzureClientID    = "azure.workload.identity/client-id"
	LabelAzureWorkloadIdentity = "azure.workload.identity/use"
)

var (
	awsRoleARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	awsRoleNameRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	gcpSANameRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	gcpSAEmailRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$`)
	azureClientRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	awsAccountRE  = regexp.MustCompile(`^[0-9]{12}$`)
)

// identityInput validates the Input's identity settings.
func identityInput(in v1beta1.Identity) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("identity")
	if a := in.AWS; a != nil {
		if !awsAccountRE.MatchString(a.AccountID) {
			errs = append(errs, field.Invalid(p.Child("aws", "accountId"), a.AccountID, "must be a 12-digit AWS account ID"))
		}
		switch a.Partition {
		case "", "aws", "aws-cn", "aws-us-gov":
		default:
			errs = append(errs, field.NotSupported(p.Child("aws", "partition"), a.Partition, []string{"aws", "aws-cn", "aws-us-gov"}))
		}
	}
	if g := in.GCP; g != nil && !gcpSANameRE.MatchString(g.Project) {
		errs = append(errs, field.Invalid(p.Child("gcp", "project"), g.Project, "must be a Google Cloud project ID such as acme-prod"))
	}
	return errs
}

// resolveIdentity completes the identities an XR names with the platform's
// account and project.
func resolveIdentity(path *field.Path, in *v1alpha1.Identity, p Platform) (Identity, field.ErrorList) {
	var out Identity
	if in == nil {
		return out, nil
	}
	var errs field.ErrorList
	switch r := in.AWSRole; {
	case r == "":
	case strings.HasPrefix(r, "arn:"):
		if !awsRoleARNRE.MatchString(r) {
			errs = append(errs, field.Invalid(path.Child("awsRole"), r, "must be an IAM role ARN such as arn:aws:iam::123456789012:role/payments, or a role name"))
		}
		out.AWSRoleARN = r
	case !awsRoleNameRE.MatchString(r):
		errs = append(errs, field.Invalid(path.Child("awsRole"), r, "must be an IAM role name (letters, digits and +=,.@_-, at most 64) or a role ARN"))
	case p.Identity.AWS == nil:
		errs = append(errs, field.Required(path.Child("awsRole"), fmt.Sprintf(
			"%q is a role name, and the platform names no AWS account: give the role's ARN, or set identity.aws.accountId in "+platformSettings, r)))
	default:
		partition := p.Identity.AWS.Partition
		if partition == "" {
			partition = "aws"
		}
		out.AWSRoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, p.Identity.AWS.AccountID, r)
	}
	switch sa := in.GCPServiceAccount; {
	case sa == "":
	case strings.Contains(sa, "@"):
		if !gcpSAEmailRE.MatchString(sa) {
			errs = append(errs, field.Invalid(path.Child("gcpServiceAccount"), sa, "must be a service account email such as payments@acme-prod.iam.gserviceaccount.com, or its name"))
		}
		out.GCPServiceAccount = sa
	case !gcpSANameRE.MatchString(sa):
		errs = append(errs, field.Invalid(path.Child("gcpServiceAccount"), sa, "must be a service account name (6 to 30 lowercase letters, digits and hyphens) or its email"))
	case p.Identity.GCP == nil:
		errs = append(errs, field.Required(path.Child("gcpServiceAccount"), fmt.Sprintf(
			"%q is a service account name, and the platform names no project: give its email, or set identity.gcp.project in "+platformSettings, sa)))
	default:
		out.GCPServiceAccount = sa + "@" + p.Identity.GCP.Project + ".iam.gserviceaccount.com"
	}
	if c := in.AzureClientID; c != "" {
		if !azureClientRE.MatchString(c) {
			errs = append(errs, field.Invalid(path.Child("azureClientId"), c, "must be a client ID (a lowercase UUID)"))
		}
		out.AzureClientID = c
	}
	switch in.KubernetesAPIToken {
	case "", v1alpha1.SwitchDisabled:
	case v1alpha1.SwitchEnabled:
		out.KubernetesAPIToken = true
	default:
		errs = append(errs, field.NotSupported(path.Child("kubernetesAPIToken"), in.KubernetesAPIToken, []string{v1alpha1.SwitchEnabled, v1alpha1.SwitchDisabled}))
	}
	return out, errs
}
