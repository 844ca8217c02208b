package names

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestJoin(t *testing.T) {
	long := strings.Repeat("a", 70)
	cases := map[string]struct {
		base, suffix string
		max          int
		want         string
	}{
		"Fits":            {base: "shop", suffix: "frontend", max: 63, want: "shop-frontend"},
		"NoSuffix":        {base: "shop", max: 63, want: "shop"},
		"ExactlyMax":      {base: strings.Repeat("b", 54), suffix: "frontend", max: 63, want: strings.Repeat("b", 54) + "-frontend"},
		"TruncatedHashed": {base: long, suffix: "frontend", max: 63, want: strings.Repeat("a", 45) + "-30dca3f1-frontend"},
		// The cut falls right after a dash, which is dropped.
		"TrailingDash": {base: strings.Repeat("c", 37) + "-" + strings.Repeat("d", 30), suffix: "db", max: 50, want: strings.Repeat("c", 37) + "-a538e007-db"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Join(tc.base, tc.suffix, tc.max)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Join(...): -want, +got:\n%s", diff)
			}
			if len(got) > tc.max {
				t.Errorf("Join(...) = %q is %d characters, more than %d", got, len(got), tc.max)
			}
		})
	}
}

func TestForIsValidAndDistinct(t *testing.T) {
	bases := []string{
		"shop",
		strings.Repeat("x", 63),
		strings.Repeat("very-long-application-name-", 9) + "end",
		"a" + strings.Repeat("-b", 120),
	}
	for _, base := range bases {
		n := For(base)
		perKind := map[string][]string{
			"Deployment": {n.Frontend, n.Backend},
			"Service":    {n.Frontend, n.Backend, n.DatabaseRWService},
			"Secret":     {n.TLS, n.DatabaseAppSecret},
			"Ingress":    {n.Ingress},
			"Cluster":    {n.Database},
		}
		for kind, ns := range perKind {
			seen := map[string]bool{}
			for _, name := range ns {
				if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
					t.Errorf("%s name %q for base %q is not a DNS-1123 label: %v", kind, name, base, errs)
				}
				if seen[name] {
					t.Errorf("%s name %q for base %q is used twice", kind, name, base)
				}
				seen[name] = true
			}
		}
		if len(n.Database) > MaxDatabaseLength {
			t.Errorf("database name %q is longer than %d", n.Database, MaxDatabaseLength)
		}
	}
}

func TestLongBasesDoNotCollide(t *testing.T) {
	prefix := strings.Repeat("p", 70)
	a, b := For(prefix+"-one"), For(prefix+"-two")
	if a.Frontend == b.Frontend || a.Database == b.Database || a.Base == b.Base {
		t.Errorf("two long bases that share a 70-character prefix got the same names: %+v and %+v", a, b)
	}
}

func TestSanitize(t *testing.T) {
	cases := map[string]struct {
		in, want string
	}{
		"AlreadyALabel": {in: "shop", want: "shop"},
		// Hash: sha256("shop.v2")[:8]; "shop-v2" must not get the same name.
		"Dots":           {in: "shop.v2", want: "shop-v2-" + sha8("shop.v2")},
		"LeadingDigit":   {in: "1shop", want: "app-1shop-" + sha8("1shop")},
		"DashAfterDigit": {in: "shop-v2", want: "shop-v2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Sanitize(tc.in)); diff != "" {
				t.Errorf("Sanitize(%q): -want, +got:\n%s", tc.in, diff)
			}
		})
	}
}

// sha8 is computed here independently of the code under test.
func sha8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// TestExternal checks the cloud names of namespaced databases against the
// rules of every provider at once: RDS identifiers (terraform-provider-aws
// internal/service/rds/validate.go validIdentifier, 63 characters), Cloud
// SQL instance IDs (lowercase letters, digits and hyphens, a letter first)
// and Flexible Server names (terraform-provider-azurerm
// internal/services/postgres/validate/flexible_server_name.go).
func TestExternal(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	cases := map[string]struct {
		namespace, name string
		want            string
	}{
		"Plain":        {namespace: "shop-prod", name: "shop-db", want: "shop-prod-shop-db-"},
		"DigitFirst":   {namespace: "1st", name: "shop-db", want: "db-1st-shop-db-"},
		"DoubleHyphen": {namespace: "shop--prod", name: "shop-db", want: "shop-prod-shop-db-"},
		"Dots":         {namespace: "shop", name: "a.b-db", want: "shop-a-b-db-"},
		"Long":         {namespace: strings.Repeat("n", 63), name: "shop-db", want: strings.Repeat("n", 54) + "-"},
		// The cut falls right after a dash, which is dropped.
		"LongCutOnDash": {namespace: strings.Repeat("n", 53) + "-x", name: "shop-db", want: strings.Repeat("n", 53) + "-"},
		// Joined, these two are the same; the hash keeps them apart.
		"JoinedLikeAnother": {namespace: "shop", name: "prod-api-db", want: "shop-prod-api-db-"},
		"TheOther":          {namespace: "shop-prod", name: "api-db", want: "shop-prod-api-db-"},
	}
	owner := map[string]string{}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := External(tc.namespace, tc.name)
			if !valid.MatchString(got) || strings.Contains(got, "--") || len(got) > MaxExternalLength {
				t.Errorf("External(%q, %q) = %q: not a valid RDS, Cloud SQL and Flexible Server name", tc.namespace, tc.name, got)
			}
			sum := sha256.Sum256([]byte(tc.namespace + "/" + tc.name))
			want := tc.want + hex.EncodeToString(sum[:])[:8]
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("External(%q, %q): -want, +got:\n%s", tc.namespace, tc.name, diff)
			}
			if prev, ok := owner[got]; ok {
				t.Errorf("External(%q, %q) = %q, the name of %s too", tc.namespace, tc.name, got, prev)
			}
			owner[got] = tc.namespace + "/" + tc.name
		})
	}
}
