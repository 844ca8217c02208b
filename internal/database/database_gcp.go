package database

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// GCPSizes is the built-in Cloud SQL size catalog.
var GCPSizes = map[string]v1beta1.GCPSize{
	resolve.SizeSmall:  {Tier: "db-custom-1-3840", DiskSizeGB: 20, BackupRetentionDays: 1},
	resolve.SizeMedium: {Tier: "db-custom-2-7680", DiskSizeGB: 100, BackupRetentionDays: 7},
	resolve.SizeLarge:  {Tier: "db-custom-8-30720", DiskSizeGB: 500, HighAvailability: true, BackupRetentionDays: 14},
}

// ExternalNameAnnotation sets the name of the external resource.
const ExternalNameAnnotation = "crossplane.io/external-name"

// gcpDatabase composes a Cloud SQL instance, its database and user. Cloud
// SQL users need a password supplied, so the function composes it in a
// Secret: derived once from the function's password seed, then read back
// from observed state on every later call.
func gcpDatabase(in Input) (*Output, *field.Error) {
	cfg := v1beta1.GCPDatabases{}
	if in.Platform != nil && in.Platform.GCP != nil {
		cfg = *in.Platform.GCP
	}
	size, ferr := sizeFor("gcp", in.DB.Size, cfg.Sizes, GCPSizes)
	if ferr != nil {
		return nil, ferr
	}
	region, err := in.region(cfg.Region, "databases.gcp.region")
	if err != nil {
		return nil, err
	}
	if err := requireSetting(cfg.PrivateNetwork, nil, "databases.gcp.privateNetwork"); err != nil {
		return nil, err
	}
	password := secretValue(objectOf(in.observed(ResDatabasePassword)), KeyPassword)
	if password == "" {
		if len(in.PasswordSeed) == 0 {
			return nil, field.Required(field.NewPath("credentials").Key(PasswordSeedCredential),
				"Cloud SQL users need a password the function supplies: add function credentials named "+PasswordSeedCredential+
					" (a Secret with key seed) to the pipeline step in the Composition")
		}
		password = derivePassword(in.PasswordSeed, in.Meta.Namespace+"/"+in.Meta.Composite)
	}

	out := &Output{}
	observed := in.observed(ResDatabaseGCP)
	protected := in.Protected()
	disk, warning := keepLarger(observed, "spec.forProvider.settings.diskSize", size.DiskSizeGB, "GB")
	if warning != "" {
		out.Warnings = append(out.Warnings, warning)
	}
	backups := retention(size.BackupRetentionDays, protected)
	availability := "ZONAL"
	if size.HighAvailability {
		availability = "REGIONAL"
	}
	settings := map[string]any{
		"tier":                      size.Tier,
		"diskSize":                  disk,
		"diskType":                  "PD_SSD",
		"diskAutoresize":            true,
		"availabilityType":          availability,
		"deletionProtectionEnabled": protected,
		"backupConfiguration": map[string]any{
			"enabled":                    backups > 0,
			"pointInTimeRecoveryEnabled": protected,
			"backupRetentionSettings":    map[string]any{"retainedBackups": backups, "retentionUnit": "COUNT"},
		},
		"ipConfiguration": map[string]any{
			"ipv4Enabled":    false,
			"privateNetwork": cfg.PrivateNetwork,
			"sslMode":        "ENCRYPTED_ONLY",
		},
	}
	if protected {
		// A final backup, and the backups kept, when the instance is deleted.
		settings["finalBackupConfig"] = map[string]any{"enabled": true, "retentionDays": int64(30)}
		settings["retainBackupsOnDelete"] = true
	}
	instance := in.managedResource(gcpAPI(in, "DatabaseInstance"), "DatabaseInstance", "", cfg.ProviderConfig, protected, map[string]any{
		"region":             region,
		"databaseVersion":    "POSTGRES_" + in.DB.Version,
		"deletionProtection": protected,
		"settings":           settings,
	})
	instanceName := instance.GetName()
	ref := map[string]any{"name": instanceName}
	db := in.managedResource(gcpAPI(in, "Database"), "Database", "-database", cfg.ProviderConfig, protected, map[string]any{"instanceRef": ref})
	db.SetAnnotations(map[string]string{ExternalNameAnnotation: in.DB.Name})
	user := in.managedResource(gcpAPI(in, "User"), "User", "-user", cfg.ProviderConfig, protected, map[string]any{
		"instanceRef":       ref,
		"type":              "BUILT_IN",
		"passwordSecretRef": in.secretRef(in.Meta.Names.DatabasePassword, KeyPassword),
	})
	user.SetAnnotations(map[string]string{ExternalNameAnnotation: in.DB.Owner})
	secret, cerr := objects.FromTyped(&corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: in.Meta.Names.DatabasePassword, Namespace: in.Meta.Namespace, Labels: in.Meta.Labels(objects.ComponentDatabase)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{KeyPassword: []byte(password)},
	})
	if cerr != nil {
		return nil, field.InternalError(field.NewPath("spec", "database"), cerr)
	}
	out.Resources = []objects.Composed{
		{Name: ResDatabaseGCP, Object: instance},
		{Name: ResDatabaseGCPDB, Object: db},
		{Name: ResDatabaseGCPUser, Object: user},
		{Name: ResDatabasePassword, Object: secret},
	}
	host, _ := stringAt(observed, "status.atProvider.privateIpAddress")
	out.Endpoint = host
	out.Connection = Connection{Host: host, Port: "5432", Username: in.DB.Owner, Password: password, DBName: in.DB.Name, SSLMode: "require"}
	return out, nil
}

func gcpAPI(in Input, kind string) string {
	if in.Namespaced {
		return "sql.gcp.m.upbound.io/v1beta1"
	}
	// Storage versions of the cluster-scoped kinds.
	switch kind {
	case "DatabaseInstance", "User":
		return "sql.gcp.upbound.io/v1beta2"
	default:
		return "sql.gcp.upbound.io/v1beta1"
	}
}

// derivePassword derives a password from the platform's secret seed and the
// XR's identity: the same XR always gets the same password, and no one who
// can read the XR can compute it.
func derivePassword(seed []byte, identity string) string {
	mac := hmac.New(sha256.New, seed)
	mac.Write([]byte("function-fullstack/database-password/v1/" + identity))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))[:32]
}
