// Package names derives the metadata.name of every composed resource from the
// composite's name: deterministic, DNS-1123, and bounded in length.
package names

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxLength is the longest name this package returns by default: a DNS-1123
// label, so the name is also valid as a label value and a Service name.
const MaxLength = 63

// hashLength is how many hex characters of the SHA-256 of the untruncated name
// are appended when a name has to be shortened.
const hashLength = 8

// Join returns base-suffix when that fits in max characters. Otherwise it
// shortens base and appends a hash of the full name, so two long bases that
// share a prefix still get different names:
//
//	<base, truncated>-<8 hex of sha256(base-suffix)>-<suffix>
//
// The suffix is kept whole so that the kind of object stays readable.
func Join(base, suffix string, max int) string {
	full := base
	if suffix != "" {
		full = base + "-" + suffix
	}
	if len(full) <= max {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	h := hex.EncodeToString(sum[:])[:hashLength]
	tail := "-" + h
	if suffix != "" {
		tail += "-" + suffix
	}
	keep := max - len(tail)
	if keep < 1 {
		// Only reachable with a suffix longer than max; suffixes are
		// constants of this project, so the hash alone is enough.
		return h
	}
	prefix := strings.TrimRight(base[:min(keep, len(base))], "-.")
	if prefix == "" {
		return strings.TrimPrefix(tail, "-")
	}
	return prefix + tail
}

// Sanitize turns a Kubernetes object name (a DNS-1123 subdomain, which may
// hold dots and start with a digit) into the start of a DNS-1035 label, the
// stricter form Service names need. A name that had to change gets a hash of
// the original, so "a.b" and "a-b" stay apart.
func Sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "app-" + out
	}
	if out == name {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(out, "-") + "-" + hex.EncodeToString(sum[:])[:hashLength]
}

// Names of the objects composed for one application. Kinds that share a name
// (a Deployment and its Service) live in different API resources, so they
// cannot collide; objects of one kind always differ by suffix.
type Names struct {
	// Base is the application's name: the claim's name for a claimed
	// LegacyCluster XR, else the XR's name. It is also the value of the
	// app.kubernetes.io/instance label, so it is bounded to 63 characters.
	Base string

	Frontend string // Deployment and Service
	Backend  string // Deployment and Service
	Ingress  string
	TLS      string // Secret written by cert-manager
	Database string // CloudNativePG Cluster
	// DatabaseAppSecret is the Secret CloudNativePG publishes for the
	// application user: <cluster>-app.
	DatabaseAppSecret string
	// DatabaseRWService is the read-write Service CloudNativePG creates.
	DatabaseRWService string
	// DatabaseConnection is the connection Secret the backend reads.
	DatabaseConnection string

	// Service names an XFullStackService's workload (Deployment or Rollout),
	// its stable (canary) or active (blueGreen) Service, autoscaler,
	// disruption budget and ServiceMonitor: the application's name.
	Service string
	// Canary is the Service in front of a canary's new pods.
	Canary string
	// Preview is the Service in front of a blueGreen's new pods.
	Preview string
	// AnalysisTemplate holds the success-rate analysis.
	AnalysisTemplate string
	// DatabasePassword holds a password: the one the function supplies
	// (Cloud SQL) or the one the provider generates (RDS, Flexible Server).
	DatabasePassword string
	// Migration names the NetworkPolicy of the migration Jobs' pods.
	Migration string
	// ServiceAccount is the pods' ServiceAccount: the application's name.
	ServiceAccount string
}

// MaxDatabaseLength bounds the CloudNativePG Cluster name. CloudNativePG
// derives many names from it (pods <name>-<n>, jobs <name>-<n>-initdb,
// services <name>-rw, secrets <name>-superuser); 50 keeps all of them a
// DNS-1123 label.
const MaxDatabaseLength = 50

// For returns the names of everything composed for base.
func For(base string) Names {
	base = Sanitize(base)
	b := Join(base, "", MaxLength)
	db := Join(base, "db", MaxDatabaseLength)
	return Names{
		Base:               b,
		Frontend:           Join(base, "frontend", MaxLength),
		Backend:            Join(base, "backend", MaxLength),
		Ingress:            Join(base, "", MaxLength),
		TLS:                Join(base, "tls", MaxLength),
		Database:           db,
		DatabaseAppSecret:  db + "-app",
		DatabaseRWService:  db + "-rw",
		DatabaseConnection: Join(base, "db-connection", MaxLength),
		Service:            b,
		Canary:             Join(base, "canary", MaxLength),
		Preview:            Join(base, "preview", MaxLength),
		AnalysisTemplate:   Join(base, "success-rate", MaxLength),
		DatabasePassword:   Join(base, "db-password", MaxLength),
		Migration:          Join(base, "migration", MaxLength),
		ServiceAccount:     b,
	}
}

// MaxExternalLength bounds the external name of a cloud database: RDS DB
// instance identifiers and Azure Flexible Server names are at most 63
// characters, and Cloud SQL instance IDs stay well within their limit.
const MaxExternalLength = 63

// External returns the name a namespaced cloud database gets in its cloud:
// <namespace>-<name>-<hash>, so the same application in several namespaces
// (one per environment) on one cloud account never shares an instance. The
// cloud scopes these names per account or project (RDS, Cloud SQL) or
// globally (Flexible Server, a DNS name), not per namespace as Kubernetes
// does. The hash (8 hex of the SHA-256 of namespace/name) keeps apart what
// joining alone would not: namespace shop with name prod-api-db and
// namespace shop-prod with name api-db.
//
// The result satisfies every provider's rule at once: lowercase letters,
// digits and single hyphens, starting with a letter, not ending with a
// hyphen, at most MaxExternalLength characters. Characters no provider
// takes become hyphens, and a long name is cut before the hash.
func External(namespace, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(namespace + "-" + name) {
		c := r
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			c = '-'
		}
		if c == '-' && (b.Len() == 0 || strings.HasSuffix(b.String(), "-")) {
			continue
		}
		b.WriteRune(c)
	}
	out := b.String()
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "db-" + out
	}
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	tail := "-" + hex.EncodeToString(sum[:])[:hashLength]
	keep := min(len(out), MaxExternalLength-len(tail))
	return strings.TrimRight(out[:keep], "-") + tail
}
