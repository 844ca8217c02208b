//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DefaultFleet is how many XRs the fleet scenario creates when E2E_FLEET
// is not set: the smoke make check runs. make scale sets more.
const DefaultFleet = 6

// fleetApps are the fleet scenario's XRs; the upgrade scenario moves them
// to the next release with the examples.
var fleetApps []*app

// fleetShape is one example shape of the fleet.
type fleetShape struct {
	example, kind, composition string
}

// fleetShapes are the shapes the fleet cycles through: an XNodeApp with
// CloudNativePG, an XFullStackService (the package's Composition, with
// function-environment-configs first) and an XNodeApp with an RDS
// instance (the example's own Composition, settings in the Input).
var fleetShapes = []fleetShape{
	{example: "xnodeapp", kind: "XNodeApp"},
	{example: "fullstack-dev", kind: "XFullStackService"},
	{example: "fullstack-aws", kind: "XNodeApp", composition: "xnodeapp-aws"},
}

// fleetSize reads E2E_FLEET.
func fleetSize(t *testing.T) int {
	t.Helper()
	v := os.Getenv("E2E_FLEET")
	if v == "" {
		return DefaultFleet
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("E2E_FLEET=%q: want a positive number of XRs", v)
	}
	return n
}

// usage is what a process has used: CPU time (user and system) and
// memory (resident now, and its peak).
type usage struct {
	cpu      time.Duration
	rss, hwm int64 // bytes
}

// procUsage reads /proc/PID/stat and /proc/PID/status.
func procUsage(pid int) (usage, error) {
	var u usage
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// Fields after the command's closing parenthesis: state is the first
	// (field 3 of proc(5)), utime and stime fields 14 and 15, in clock
	// ticks (100 per second on Linux).
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(rest) < 13 {
		return u, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(rest))
	}
	utime, _ := strconv.ParseInt(rest[11], 10, 64)
	stime, _ := strconv.ParseInt(rest[12], 10, 64)
	u.cpu = time.Duration(utime+stime) * 10 * time.Millisecond
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			u.rss = kb << 10
		case "VmHWM:":
			u.hwm = kb << 10
		}
	}
	return u, nil
}

// pid returns the PID of the running process of that name.
func (c *cluster) pid(name string) (int, error) {
	for _, p := range c.procs {
		if p.name == name {
			return p.cmd.Process.Pid, nil
		}
	}
	return 0, fmt.Errorf("no process %q runs", name)
}

// fleetSample is what the fleet scenario reads at each mark: the
// function's calls and the CPU and memory of the function and Crossplane.
type fleetSample struct {
	at                   time.Time
	calls                float64
	fn, xp               usage
	fnProcess, xpProcess string
}

func sampleFleet(ctx context.Context, t *testing.T) fleetSample {
	t.Helper()
	s := fleetSample{at: time.Now(), calls: scrapeMetrics(ctx, t, cl.fnMetrics).sum(metricCalls), fnProcess: cl.fnName, xpProcess: cl.core}
	for _, p := range []struct {
		name string
		to   *usage
	}{{cl.fnName, &s.fn}, {cl.core, &s.xp}} {
		pid, err := cl.pid(p.name)
		if err != nil {
			t.Fatal(err)
		}
		if *p.to, err = procUsage(pid); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// fleetRow is one line of the scale table: what a phase took and cost.
func fleetRow(n int, phase string, from, to fleetSample) string {
	took := to.at.Sub(from.at)
	calls := to.calls - from.calls
	if to.fnProcess != from.fnProcess { // a restarted function counts from zero
		calls = to.calls
	}
	fnCPU := to.fn.cpu - from.fn.cpu
	if to.fnProcess != from.fnProcess {
		fnCPU = to.fn.cpu
	}
	xpCPU := to.xp.cpu - from.xp.cpu
	if to.xpProcess != from.xpProcess { // so does a restarted Crossplane
		xpCPU = to.xp.cpu
	}
	return fmt.Sprintf("| %d | %s | %.1f s | %.0f | %.1f | %.2f s | %.2f s | %d MB (peak %d MB) |",
		n, phase, took.Seconds(), calls, calls/took.Seconds(), fnCPU.Seconds(), xpCPU.Seconds(), to.fn.rss>>20, to.fn.hwm>>20)
}

// fleet creates E2E_FLEET XRs of mixed shapes, one per namespace, each
// shape's XR keeping its example's name (one app name in many
// namespaces), plays their controllers until every one is Ready, then
// restarts the function and Crossplane, and reports per phase: time,
// calls of the function, calls per second, CPU of the function and of
// Crossplane, the function's memory.
func fleet(ctx context.Context, t *testing.T) {
	n := fleetSize(t)
	// Room for the fleet's pods: one more kwok node per 150 XRs.
	for i := 1; i <= (n+149)/150; i++ {
		if err := cl.addKwokNode(ctx, fmt.Sprintf("kwok-node-fleet-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var table, keys []string
	inFleet := func(x xrRef) bool { return strings.HasPrefix(x.namespace, "fleet-") }
	s0 := sampleFleet(ctx, t)
	for i := range n {
		shape := fleetShapes[i%len(fleetShapes)]
		ns := fmt.Sprintf("fleet-%03d", i)
		namespace(ctx, t, ns)
		x := manifest(t, shape.example, "xr.yaml")
		meta := x["metadata"].(map[string]any)
		meta["namespace"] = ns
		name := meta["name"].(string)
		// One pod per workload: the fleet measures Crossplane and the
		// function, not the scheduler.
		spec := specOf(x)
		spec["environment"] = "development"
		for _, w := range []string{"frontend", "backend"} {
			if m, ok := spec[w].(map[string]any); ok {
				delete(m, "replicas")
			}
		}
		if shape.composition != "" {
			spec["crossplane"] = map[string]any{"compositionRef": map[string]any{"name": shape.composition}}
			// The platform keeps the cloud providers' CA bundles in every
			// application namespace (docs/databases.md: Database TLS).
			docs, err := readManifests(filepath.Join(env("E2E_REPO"), "example", shape.example, "required", "all-ready.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				if d["kind"] == "ConfigMap" {
					d["metadata"].(map[string]any)["namespace"] = ns
					if err := kc.apply(ctx, d); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if err := kc.apply(ctx, x); err != nil {
			t.Fatalf("creating %s %s/%s: %v", shape.kind, ns, name, err)
		}
		kind := shape.kind
		keys = append(keys, ns+"/"+name) // as the function's log names it
		fleetApps = append(fleetApps, &app{example: shape.example, namespace: ns, xr: func(ctx context.Context) (*unstructured.Unstructured, error) {
			return kc.get(ctx, "platform.fullstack.io/v1alpha1", kind, ns, name)
		}})
	}
	t.Logf("created %d XRs in %s", n, time.Since(s0.at).Round(time.Second))

	// The played controllers report on what each XR composed until every
	// XR is Ready; Deployments and their pods run on the real controllers
	// and kwok.
	deadline := time.Now().Add(5*time.Minute + time.Duration(n)*2*time.Second)
	for round := 1; ; round++ {
		var waiting []string
		for _, a := range fleetApps {
			x, err := a.xr(ctx)
			if err == nil && xrReady(x) == nil {
				continue
			}
			if err == nil {
				waiting = append(waiting, a.namespace+": "+conditions(x))
			} else {
				waiting = append(waiting, a.namespace+": "+err.Error())
			}
			if refs, err := composedRefs(ctx, a); err == nil && len(refs) > 0 && allExist(ctx, refs) {
				a.composed = refs
				reportHealthy(ctx, t, a)
			}
		}
		if len(waiting) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d rounds, %d of %d XRs not Ready:\n%s", round, len(waiting), n, strings.Join(waiting, "\n"))
		}
		time.Sleep(2 * time.Second)
	}
	s1 := sampleFleet(ctx, t)
	table = append(table, fleetRow(n, "create, play the controllers, all Ready", s0, s1))

	// A function restart: Crossplane reconnects; a steady XR needs no
	// call, so every XR stays Ready and Synced.
	if err := cl.restartFunction("function-restarted"); err != nil {
		t.Fatal(err)
	}
	if err := cl.waitFor(time.Minute, "the restarted function to serve its metrics", func() error {
		_, err := tryScrape(ctx, cl.fnMetrics)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	readyXRs(ctx, t, inFleet)
	s2 := sampleFleet(ctx, t)
	table = append(table, fleetRow(n, "function restarted: every XR still Ready and Synced", s1, s2))

	// A Crossplane restart: it reconciles every XR at once, calling the
	// restarted function for each.
	restarted := time.Now()
	if err := cl.restartCrossplane("crossplane-restarted"); err != nil {
		t.Fatal(err)
	}
	if err := cl.waitFor(10*time.Minute, "every fleet XR recomposed after Crossplane restarted", func() error {
		seen := callsByXR(t, cl.fnLog(), restarted, time.Now())
		var missing []string
		for _, k := range keys {
			if seen[k] == 0 {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%d of %d not yet: %s", len(missing), len(fleetApps), strings.Join(missing[:min(len(missing), 5)], ", "))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s3 := sampleFleet(ctx, t)
	readyXRs(ctx, t, inFleet)
	table = append(table, fleetRow(n, "Crossplane restarted, every fleet XR recomposed", s2, s3))
	t.Logf("fleet of %d XRs:\n| XRs | phase | took | function calls | calls/s | function CPU | Crossplane CPU | function RSS |\n|---|---|---|---|---|---|---|---|\n%s",
		n, strings.Join(table, "\n"))
}

// allExist says whether every referenced object exists yet: Crossplane
// lists a composed resource in the XR's references before it creates it.
func allExist(ctx context.Context, refs []composedRef) bool {
	for _, r := range refs {
		if _, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name); err != nil {
			return false
		}
	}
	return true
}
