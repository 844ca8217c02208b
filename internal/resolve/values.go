package resolve

import "github.com/fullstack-fn/function-fullstack/apis/v1alpha1"

// Allowed values and defaults. The markers in apis/v1alpha1 carry the same
// enums and defaults into the generated XRDs; TestXRDsMatchCode fails when
// the two drift apart. The function applies them itself too: `crossplane
// render` without --xrd, and XRs stored before a default existed, reach it
// without them.

// environments, the same for both composites: staging is what Argo CD,
// Flux and Backstage's templates call the environment before production.
const (
	EnvDevelopment = "development"
	envStaging     = "staging"
	EnvProduction  = "production"
)

// environments lists the allowed values of spec.environment.
var environments = []string{EnvDevelopment, envStaging, EnvProduction}

// Database sizes.
const (
	sizeSmall  = "small"
	sizeMedium = "medium"
	sizeLarge  = "large"
)

// sizes lists the allowed values of spec.database.size.
var sizes = []string{sizeSmall, sizeMedium, sizeLarge}

// Database providers.
const (
	ProviderCNPG  = "cnpg"
	ProviderAWS   = "aws"
	ProviderGCP   = "gcp"
	ProviderAzure = "azure"
)

// providers lists the allowed values of spec.database.provider.
var providers = []string{ProviderCNPG, ProviderAWS, ProviderGCP, ProviderAzure}

// Database protection settings.
const (
	protectionDefault  = "Default"
	ProtectionEnabled  = "Enabled"
	ProtectionDisabled = "Disabled"
)

// protections lists the allowed values of spec.database.protection.
var protections = []string{protectionDefault, ProtectionEnabled, ProtectionDisabled}

// postgresVersions lists the allowed major versions of spec.database.version.
var postgresVersions = []string{"14", "15", "16", "17", "18"}

// languages lists the allowed values of spec.language: the choices a form
// offers.
var languages = []string{"nodejs", "typescript", "python", "go", "java", "kotlin", "dotnet", "ruby", "php", "rust", "other"}

// frameworks lists the allowed values of spec.framework.
var frameworks = []string{"express", "nestjs", "nextjs", "fastapi", "django", "flask", "gin", "echo", "spring-boot", "quarkus", "aspnet", "rails", "other"}

// Probes are a framework's own liveness and readiness endpoints: liveness
// checks the process only, readiness also its dependencies, so a database
// blip takes pods out of the Service instead of restarting them.
type Probes struct{ Liveness, Readiness string }

// frameworkProbes lists the frameworks that have separate endpoints.
var frameworkProbes = map[string]Probes{
	"spring-boot": {Liveness: "/actuator/health/liveness", Readiness: "/actuator/health/readiness"},
	"quarkus":     {Liveness: "/q/health/live", Readiness: "/q/health/ready"},
}

// pauseUntilPromoted is the canary pause that waits for a person.
const pauseUntilPromoted = "untilPromoted"

// Values of spec.delivery.promotion.
const (
	promotionAutomatic = "Automatic"
	promotionManual    = "Manual"
)

// promotions lists the allowed values of spec.delivery.promotion.
var promotions = []string{v1alpha1.SwitchDefault, promotionAutomatic, promotionManual}

// issuerKinds lists the allowed values of spec.ingress.tls.issuerKind.
var issuerKinds = []string{"ClusterIssuer", "Issuer"}

// Defaults applied when the XR leaves a field out.
const (
	defaultEnvironment     = EnvDevelopment
	defaultFrontendPort    = 3000
	defaultBackendPort     = 3001
	defaultFrontendHealth  = "/"
	defaultBackendHealth   = "/healthz"
	defaultDatabaseName    = "app"
	defaultDatabaseOwner   = "app"
	defaultDatabaseSize    = sizeSmall
	defaultPostgresVersion = "17"
	defaultProvider        = ProviderCNPG
	defaultIssuerKind      = "ClusterIssuer"
	defaultReplicas        = 1
	// defaultProductionReplicas keeps a production workload available while
	// one pod is rescheduled.
	defaultProductionReplicas = 2
)

// Default container resources, per workload.
var (
	defaultFrontendResources = v1alpha1.Resources{
		Requests: &v1alpha1.ResourceList{CPU: "100m", Memory: "128Mi"},
		Limits:   &v1alpha1.ResourceList{CPU: "500m", Memory: "256Mi"},
	}
	defaultBackendResources = v1alpha1.Resources{
		Requests: &v1alpha1.ResourceList{CPU: "100m", Memory: "128Mi"},
		Limits:   &v1alpha1.ResourceList{CPU: "1", Memory: "512Mi"},
	}
)

// reservedEnv are environment variables the function sets itself; a user
// value would shadow or be shadowed by them.
var reservedEnv = map[string]bool{
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
const enginePostgres = "postgres"

// engines lists the allowed values of spec.database.engine.
var engines = []string{enginePostgres}

// Delivery strategies.
const (
	strategyRollingUpdate = "rollingUpdate"
	StrategyCanary        = "canary"
	StrategyBlueGreen     = "blueGreen"
)

// strategies lists the allowed values of spec.delivery.strategy.
var strategies = []string{strategyRollingUpdate, StrategyCanary, StrategyBlueGreen}

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

// profiles maps each XFullStackService environment to its defaults.
var profiles = map[string]Profile{
	EnvDevelopment: {Replicas: 1, Strategy: strategyRollingUpdate, DatabaseSize: sizeSmall},
	envStaging:     {Replicas: 2, Strategy: StrategyCanary, DatabaseSize: sizeSmall},
	EnvProduction: {Replicas: 3, Strategy: StrategyCanary, Analysis: true, DatabaseSize: sizeMedium,
		Autoscaling: true, DisruptionBudget: true, Spread: true},
}

// XFullStackService defaults.
const (
	defaultServicePort   = 8080
	defaultServiceHealth = "/healthz"
	defaultMetricsPath   = "/metrics"
	// defaultMaxReplicas is the autoscaler's ceiling when the spec sets
	// none: at least this, and never below the floor.
	defaultMaxReplicas    = 10
	defaultTargetCPU      = 70
	defaultPause          = "2m"
	defaultSuccessRate    = 0.95
	defaultAnalysisWindow = "1m"
	defaultAnalysisCount  = 5
	defaultFailureLimit   = 1
	defaultAutoPromotion  = true
)

// defaultCanaryWeights are the traffic weights of the default canary; a
// pause follows each but the last, and the analysis (when on) runs after
// the first pause.
var defaultCanaryWeights = []int64{10, 50, 100}
