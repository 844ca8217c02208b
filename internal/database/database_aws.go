package database

import (
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// AWSSizes is the built-in RDS size catalog. README.md prints it; a test
// keeps the two in step. The function Input can replace it.
var AWSSizes = map[string]v1beta1.AWSSize{
	resolve.SizeSmall:  {InstanceClass: "db.t4g.micro", StorageGiB: 20, BackupRetentionDays: 1},
	resolve.SizeMedium: {InstanceClass: "db.m6g.large", StorageGiB: 100, BackupRetentionDays: 7},
	resolve.SizeLarge:  {InstanceClass: "db.r6g.xlarge", StorageGiB: 500, MultiAZ: true, BackupRetentionDays: 14},
}

// MinProtectedBackupDays is the backup retention a protected database gets
// at least.
const MinProtectedBackupDays = 7

// awsDatabase composes an RDS instance. RDS generates the master password
// (autoGeneratePassword) into a Secret the function then reads back.
func awsDatabase(in Input) (*Output, *field.Error) {
	cfg := v1beta1.AWSDatabases{}
	if in.Platform != nil && in.Platform.AWS != nil {
		cfg = *in.Platform.AWS
	}
	size, ferr := sizeFor("aws", in.DB.Size, cfg.Sizes, AWSSizes)
	if ferr != nil {
		return nil, ferr
	}
	region, err := in.region(cfg.Region, "databases.aws.region")
	if err != nil {
		return nil, err
	}
	if err := requireSetting(cfg.DBSubnetGroupName, nil, "databases.aws.dbSubnetGroupName"); err != nil {
		return nil, err
	}
	if len(cfg.VPCSecurityGroupIDs) == 0 {
		return nil, requireSetting("", nil, "databases.aws.vpcSecurityGroupIds")
	}

	out := &Output{}
	observed := in.observed(ResDatabaseAWS)
	protected := in.Protected()
	storage, warning := keepLarger(observed, "spec.forProvider.allocatedStorage", size.StorageGiB, "GiB")
	if warning != "" {
		out.Warnings = append(out.Warnings, warning)
	}
	backup := retention(size.BackupRetentionDays, protected)
	sgs := make([]any, 0, len(cfg.VPCSecurityGroupIDs))
	for _, sg := range cfg.VPCSecurityGroupIDs {
		sgs = append(sgs, sg)
	}
	fp := map[string]any{
		"region":                  region,
		"engine":                  "postgres",
		"engineVersion":           in.DB.Version,
		"instanceClass":           size.InstanceClass,
		"allocatedStorage":        storage,
		"storageType":             "gp3",
		"storageEncrypted":        true,
		"dbName":                  in.DB.Name,
		"username":                in.DB.Owner,
		"autoGeneratePassword":    true,
		"passwordSecretRef":       in.secretRef(in.Meta.Names.DatabasePassword, KeyPassword),
		"dbSubnetGroupName":       cfg.DBSubnetGroupName,
		"vpcSecurityGroupIds":     sgs,
		"publiclyAccessible":      false,
		"multiAz":                 size.MultiAZ,
		"backupRetentionPeriod":   backup,
		"autoMinorVersionUpgrade": true,
		"applyImmediately":        true,
		"deletionProtection":      protected,
		"skipFinalSnapshot":       !protected,
	}
	apiVersion := "rds.aws.m.upbound.io/v1beta1"
	if !in.Namespaced {
		apiVersion = "rds.aws.upbound.io/v1beta3"
	}
	instance := in.managedResource(apiVersion, "Instance", "", cfg.ProviderConfig, protected, fp)
	if protected {
		// Named after the instance, which is unique in its scope.
		fp["finalSnapshotIdentifier"] = instance.GetName() + "-final"
	}
	out.Resources = []objects.Composed{{Name: ResDatabaseAWS, Object: instance}}

	password := in.requirePasswordSecret(out, in.Meta.Names.DatabasePassword, KeyPassword)
	host, _ := stringAt(observed, "status.atProvider.address")
	port := "5432"
	if p, err := numberAt(observed, "status.atProvider.port"); err == nil && p > 0 {
		port = strconv.FormatInt(p, 10)
	}
	out.Endpoint = host
	out.Connection = Connection{Host: host, Port: port, Username: in.DB.Owner, Password: password, DBName: in.DB.Name, SSLMode: "require"}
	return out, nil
}
