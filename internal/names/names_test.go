package names

import (
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
		"TruncatedHashed": {base: long, suffix: "frontend", max: 63, want: strings.Repeat("a", 45) + "-0f6a1c6b-frontend"},
		"TrailingDash":    {base: strings.Repeat("c", 44) + "-" + strings.Repeat("d", 30), suffix: "db", max: 50, want: strings.Repeat("c", 44) + "-e5fd1b4e-db"},
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
