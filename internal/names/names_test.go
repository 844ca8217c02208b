package names

import (
	"crypto/sha256"
	"encoding/hex"
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
