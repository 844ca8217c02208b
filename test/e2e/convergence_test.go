//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// A convergence leg: from something the controllers (or a person) did to
// the moment Crossplane and the function acted on it. Realtime
// compositions call the function when a composed resource changes; the
// function's TTL only bounds what a missed event costs, so each leg must
// take seconds, not the minute a fixed TTL cost.
type leg struct {
	name string
	took time.Duration
}

// LegLimit is how long any leg may take: the controllers' own time is
// not in it, so what is left is Crossplane's watch, a call of the
// function and an apply, plus the test's 500 ms poll.
const LegLimit = 10 * time.Second

var (
	legsMu sync.Mutex
	legs   []leg
)

// converged records a leg and fails the test when it took longer than
// LegLimit; TestMain prints every leg at the end.
func converged(t *testing.T, name string, took time.Duration) {
	t.Helper()
	legsMu.Lock()
	legs = append(legs, leg{name: name, took: took})
	legsMu.Unlock()
	t.Logf("convergence: %s in %s", name, took.Round(100*time.Millisecond))
	if took > LegLimit {
		t.Errorf("convergence: %s took %s, more than %s: a step waited on a TTL or a missed event", name, took.Round(100*time.Millisecond), LegLimit)
	}
}

// legReport is the table TestMain prints: each leg's slowest time and how
// many times it was measured.
func legReport() string {
	legsMu.Lock()
	defer legsMu.Unlock()
	type agg struct {
		n   int
		max time.Duration
	}
	by := map[string]*agg{}
	for _, l := range legs {
		a, ok := by[l.name]
		if !ok {
			a = &agg{}
			by[l.name] = a
		}
		a.n++
		a.max = max(a.max, l.took)
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		a := by[n]
		fmt.Fprintf(&b, "  %-70s %3dx  slowest %6.1fs  limit %4.0fs\n", n, a.n, a.max.Seconds(), LegLimit.Seconds())
	}
	return b.String()
}
