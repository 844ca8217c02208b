package resolve

import "github.com/fullstack-fn/function-fullstack/apis/v1alpha1"

// Allowed values and defaults. The markers in apis/v1alpha1 carry the same
// enums and defaults into the generated XRDs; TestXRDsMatchCode fails when
// the two drift apart. The function applies them itself too: `crossplane
// render` without --xrd, and XRs stored before a default existed, reach it
// without them.

// Environments, the same for both composites: staging is what Argo CD,
// Flux and Backstage's templates call the environment before production.
const (
	EnvDevelopment = "development"
	EnvStaging     = "staging"
	EnvProduction  = "production"
)

// Environments lists the allowed values of spec.environment.
var Environments = []string{EnvDevelopment, EnvStaging, EnvProduction}

// Database sizes.
const (
	SizeSmall  = "small"
	SizeMedium = "medium"
	SizeLarge  = "large"
)

// Sizes lists the allowed values of spec.database.size.
var Sizes = []string{SizeSmall, SizeMedium, SizeLarge}

// Database providers.
const (
	ProviderCNPG  = "cnpg"
	ProviderAWS   = "aws"
	ProviderGCP   = "gcp"
	ProviderAzure = "azure"
)

// Providers lists the allowed values of spec.database.provider.
var Providers = []string{ProviderCNPG, ProviderAWS, ProviderGCP, ProviderAzure}

// Database protection settings.
const (
	ProtectionDefault  = "Default"
	ProtectionEnabled  = "Enabled"
	ProtectionDisabled = "Disabled"
)

// Protections lists the allowed values of spec.database.protection.
var Protections = []string{ProtectionDefault, ProtectionEnabled, ProtectionDisabled}

// PostgresVersions lists the allowed major versions of spec.database.version.
var PostgresVersions = []string{"14", "15", "16", "17", "18"}

// Languages lists the allowed values of spec.language: the choices a form
// offers.
var Languages = []string{"nodejs", "typescript", "python", "go", "java", "kotlin", "dotnet", "ruby", "php", "rust", "other"}

// Frameworks lists the allowed values of spec.framework.
var Frameworks = []string{"express", "nestjs", "nextjs", "fastapi", "django", "flask", "gin", "echo", "spring-boot", "quarkus", "aspnet", "rails", "other"}

// Probes are a framework's own liveness and readiness endpoints: liveness
// checks the process only, readiness also its dependencies, so a database
// blip takes pods out of the Service instead of restarting them.
type Probes struct{ Liveness, Readiness string }

// FrameworkProbes lists the frameworks that have separate endpoints.
var FrameworkProbes = map[string]Probes{
	"spring-boot": {Liveness: "/actuator/health/liveness", Readiness: "/actuator/health/readiness"},
	"quarkus":     {Liveness: "/q/health/live", Readiness: "/q/health/ready"},
}

// PauseUntilPromoted is the canary pause that waits for a person.
const PauseUntilPromoted = "untilPromoted"

// Values of spec.delivery.promotion.
const (
	PromotionAutomatic = "Automatic"
	PromotionManual    = "Manual"
)

// Promotions lists the allowed values of spec.delivery.promotion.
var Promotions = []string{v1alpha1.SwitchDefault, PromotionAutomatic, PromotionManual}

// IssuerKinds lists the allowed values of spec.ingress.tls.issuerKind.
var IssuerKinds = []string{"ClusterIssuer", "Issuer"}

// Defaults applied when the XR leaves a field out.
const (
	DefaultEnvironment     = EnvDevelopment
	DefaultFrontendPort    = 3000
	DefaultBackendPort     = 3001
	DefaultFrontendHealth  = "/"
	DefaultBackendHealth   = "/healthz"
	DefaultDatabaseName    = "app"
	DefaultDatabaseOwner   = "app"
	DefaultDatabaseSize    = SizeSmall
	DefaultPostgresVersion = "17"
	DefaultProvider        = ProviderCNPG
	DefaultIssuerKind      = "ClusterIssuer"
	DefaultReplicas        = 1
	// DefaultProductionReplicas keeps a production workload available while
	// one pod is rescheduled.
	DefaultProductionReplicas = 2
)

// Default container resources, per workload.
var (
	DefaultFrontendResources = v1alpha1.Resources{
		Requests: &v1alpha1.ResourceList{CPU: "100m", Memory: "128Mi"},
		Limits:   &v1alpha1.ResourceList{CPU: "500m", Memory: "256Mi"},
	}
	DefaultBackendResources = v1alpha1.Resources{
		Requests: &v1alpha1.ResourceList{CPU: "100m", Memory: "128Mi"},
		Limits:   &v1alpha1.ResourceList{CPU: "1", Memory: "512Mi"},
	}
)

// ReservedEnv are environment variables the function sets itself; a user
// value would shadow or be shadowed by them.
var ReservedEnv = map[string]bool{
	"PORT":              true,
	"API_URL":           true,
	"DATABASE_URL":      true,
	"DATABASE_HOST":     true,
	"DATABASE_PORT":     true,
	"DATABASE_NAME":     true,
	"DATABASE_USER":     true,
	"DATABASE_PASSWORD": true,
	"DATABASE_SSLMODE":  true,
	// The CA the backend verifies the database with, for the app and for
	// libpq (psql, psycopg, pgx read PGSSLROOTCERT), and the JDBC URL.
	"DATABASE_SSLROOTCERT": true,
	"PGSSLROOTCERT":        true,
	"DATABASE_JDBC_URL":    true,
}

// Database engines.
const EnginePostgres = "postgres"

// Engines lists the allowed values of spec.database.engine.
var Engines = []string{EnginePostgres}

// Delivery strategies.
const (
	StrategyRollingUpdate = "rollingUpdate"
	StrategyCanary        = "canary"
	StrategyBlueGreen     = "blueGreen"
)

// Strategies lists the allowed values of spec.delivery.strategy.
var Strategies = []string{StrategyRollingUpdate, StrategyCanary, StrategyBlueGreen}

// Profile is what an environment means for an XFullStackService when the
// spec is silent. docs/xfullstackservice.md prints the table; a test keeps
// the two in step.
type Profile struct {
	Replicas         int64
	Strategy         string
	Analysis         bool
	DatabaseSize     string
	Autoscaling      bool
	DisruptionBudget bool
	Spread           bool
}

// Profiles maps each XFullStackService environment to its defaults.
var Profiles = map[string]Profile{
	EnvDevelopment: {Replicas: 1, Strategy: StrategyRollingUpdate, DatabaseSize: SizeSmall},
	EnvStaging:     {Replicas: 2, Strategy: StrategyCanary, DatabaseSize: SizeSmall},
	EnvProduction: {Replicas: 3, Strategy: StrategyCanary, Analysis: true, DatabaseSize: SizeMedium,
		Autoscaling: true, DisruptionBudget: true, Spread: true},
}

// XFullStackService defaults.
const (
	DefaultServicePort   = 8080
	DefaultServiceHealth = "/healthz"
	DefaultMetricsPath   = "/metrics"
	// DefaultMaxReplicas is the autoscaler's ceiling when the spec sets
	// none: at least this, and never below the floor.
	DefaultMaxReplicas    = 10
	DefaultTargetCPU      = 70
	DefaultPause          = "2m"
	DefaultSuccessRate    = 0.95
	DefaultAnalysisWindow = "1m"
	DefaultAnalysisCount  = 5
	DefaultFailureLimit   = 1
	DefaultAutoPromotion  = true
)

// DefaultCanaryWeights are the traffic weights of the default canary; a
// pause follows each but the last, and the analysis (when on) runs after
// the first pause.
var DefaultCanaryWeights = []int64{10, 50, 100}
