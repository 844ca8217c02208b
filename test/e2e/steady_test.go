//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The function's own metrics (metrics.go) and Crossplane's response cache
// metrics (internal/xfn/cached/cached_runner_metrics.go in Crossplane).
const (
	metricCalls     = "function_fullstack_calls_total"
	metricResponses = "function_fullstack_responses_total"
	metricCacheHits = "function_run_function_response_cache_hits_total"
	metricCacheMiss = "function_run_function_response_cache_misses_total"

	// MaxSteadyCallsPerHour is what a Ready XR may cost in calls of the
	// function per hour: one per steady TTL (10 min).
	MaxSteadyCallsPerHour = 6
)

// steadyCost measures how often Crossplane calls the function for XRs that
// are Ready and steady, from the function's metrics: first with the
// chart's defaults (realtime compositions, no response cache), where the
// pipeline's shortest TTL (function-environment-configs answers with 60 s)
// sets the pace; then with Crossplane restarted with its response cache on
// (--enable-function-response-cache), which answers a call whose request
// did not change from the function's last response until that response's
// TTL ends. Crossplane keeps running the pipeline every minute; the
// function is called at most once per steady TTL.
func steadyCost(ctx context.Context, t *testing.T) {
	deleteUnready(ctx, t)
	xrs := readyXRs(ctx, t, nil)
	n := float64(len(xrs))
	t.Logf("%d XRs Ready", len(xrs))

	const before, after = 60 * time.Second, 90 * time.Second
	perHour := func(calls float64, window time.Duration) float64 {
		return calls * float64(time.Hour) / (n * float64(window))
	}

	m0, from := scrapeMetrics(ctx, t, cl.fnMetrics), time.Now()
	time.Sleep(before)
	m1, to := scrapeMetrics(ctx, t, cl.fnMetrics), time.Now()
	calls := m1.sum(metricCalls) - m0.sum(metricCalls)
	t.Logf("chart defaults, no response cache: %.0f calls in %s for %d XRs: %.1f calls per XR per hour; responses by TTL: %s",
		calls, before, len(xrs), perHour(calls, before), m1.delta(m0, metricResponses, "ttl"))
	// Which pace sets it: the function's debug log names the XR of each
	// call; an XR's Composition either starts with
	// function-environment-configs (60 s TTL) or has the settings in
	// this function's Input (its own TTL, 10 min when steady).
	perXR := callsByXR(t, cl.fnLog(), from, to)
	withEnv, inputOnly := map[string]int{}, map[string]int{}
	for _, x := range xrs {
		if pipelineHasEnvironmentConfigs(ctx, t, x) {
			withEnv[x.String()] = perXR[x.key()]
		} else {
			inputOnly[x.String()] = perXR[x.key()]
		}
	}
	for _, g := range []struct {
		what  string
		calls map[string]int
	}{{"with function-environment-configs", withEnv}, {"with the settings in the Input", inputOnly}} {
		total := 0
		for _, c := range g.calls {
			total += c
		}
		if len(g.calls) > 0 {
			t.Logf("  XRs of Compositions %s: %.1f calls per XR per hour (%v)", g.what,
				float64(total)*float64(time.Hour)/(float64(len(g.calls))*float64(before)), g.calls)
		}
	}

	cacheDir := filepath.Join(cl.work, "xfn-cache")
	if err := cl.restartCrossplane("crossplane-response-cache", "--enable-function-response-cache", "--xfn-cache-dir="+cacheDir); err != nil {
		t.Fatal(err)
	}
	// The restarted Crossplane reconciles every XR once, a cache miss
	// each; wait until the function has been quiet for 10 s.
	settled := time.Now()
	last := scrapeMetrics(ctx, t, cl.fnMetrics).sum(metricCalls)
	quiet := time.Now()
	for time.Since(quiet) < 10*time.Second {
		if time.Since(settled) > 3*time.Minute {
			t.Fatalf("the function was still called 3 min after Crossplane restarted (%.0f calls)", last)
		}
		time.Sleep(2 * time.Second)
		if c := scrapeMetrics(ctx, t, cl.fnMetrics).sum(metricCalls); c != last {
			last, quiet = c, time.Now()
		}
	}
	t.Logf("after the restart with the response cache: the function quiet %s after Crossplane started (%.0f calls)",
		time.Since(settled).Round(time.Second), last-m1.sum(metricCalls))
	// Crossplane seeds a step's required resources into its request from
	// what the step required before, which it keeps in memory: on the
	// first reconcile after a restart it does not know them, so the
	// second reconcile's request (seeded) differs from the first and
	// misses the cache once. The steady window starts after every XR of a
	// 60 s pipeline has had that second reconcile: 60 s (±10 % jitter)
	// after its first, the last of which came at quiet (at 415 XRs the
	// first wave took 34 s, so a fixed 75 s after the restart was not
	// enough).
	if wait := time.Until(quiet.Add(80 * time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	t.Logf("a second reconcile each: %.0f calls since the quiet", scrapeMetrics(ctx, t, cl.fnMetrics).sum(metricCalls)-last)
	readyXRs(ctx, t, nil)

	m2, x2 := scrapeMetrics(ctx, t, cl.fnMetrics), scrapeMetrics(ctx, t, cl.xpMetrics)
	time.Sleep(after)
	m3, x3 := scrapeMetrics(ctx, t, cl.fnMetrics), scrapeMetrics(ctx, t, cl.xpMetrics)
	calls = m3.sum(metricCalls) - m2.sum(metricCalls)
	hits := x3.sum(metricCacheHits, `function_name="`+FunctionName+`"`) - x2.sum(metricCacheHits, `function_name="`+FunctionName+`"`)
	misses := x3.sum(metricCacheMiss, `function_name="`+FunctionName+`"`) - x2.sum(metricCacheMiss, `function_name="`+FunctionName+`"`)
	t.Logf("with the response cache: %.0f calls in %s for %d XRs: %.1f calls per XR per hour; Crossplane ran the pipeline %.1f times per XR per hour (cache hits %.0f, misses %.0f)",
		calls, after, len(xrs), perHour(calls, after), perHour(hits+misses, after), hits, misses)
	if got := perHour(calls, after); got > MaxSteadyCallsPerHour {
		t.Errorf("steady XRs cost %.1f calls per XR per hour with the response cache, want at most %d; responses by TTL in the window: %s",
			got, MaxSteadyCallsPerHour, m3.delta(m2, metricResponses, "ttl"))
	}
	if hits == 0 {
		t.Errorf("Crossplane's response cache answered no call for %s in %s: the window measured no pipeline runs", FunctionName, after)
	}
}

// xrRef names an XR and its Composition.
type xrRef struct {
	kind, namespace, name, composition string
}

func (x xrRef) String() string {
	return x.kind + " " + strings.TrimPrefix(x.namespace+"/"+x.name, "/")
}

// key is how the function's log names the XR.
func (x xrRef) key() string { return x.namespace + "/" + x.name }

// readyXRs waits until every XR of both kinds, namespaced and legacy, that
// only selects (nil: every one) is Ready and Synced, and returns them.
func readyXRs(ctx context.Context, t *testing.T, only func(xrRef) bool) []xrRef {
	t.Helper()
	var names []xrRef
	var waiting []string
	deadline := time.Now().Add(3 * time.Minute)
	for {
		names, waiting = nil, nil
		for _, u := range allXRs(ctx, t) {
			x := xrRef{kind: u.GetKind(), namespace: u.GetNamespace(), name: u.GetName()}
			x.composition, _, _ = unstructured.NestedString(u.Object, "spec", "crossplane", "compositionRef", "name")
			if x.composition == "" { // legacy XRs
				x.composition, _, _ = unstructured.NestedString(u.Object, "spec", "compositionRef", "name")
			}
			if only != nil && !only(x) {
				continue
			}
			names = append(names, x)
			if !readyAndSynced(u) {
				waiting = append(waiting, x.String()+": "+conditions(u))
			}
		}
		if len(waiting) == 0 && len(names) > 0 {
			sort.Slice(names, func(i, j int) bool { return names[i].String() < names[j].String() })
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("XRs not Ready and Synced after 3 min:\n%s", strings.Join(waiting, "\n"))
		}
		time.Sleep(2 * time.Second)
	}
}

// pipelineHasEnvironmentConfigs says whether the XR's Composition runs
// function-environment-configs.
func pipelineHasEnvironmentConfigs(ctx context.Context, t *testing.T, x xrRef) bool {
	t.Helper()
	c, err := kc.get(ctx, "apiextensions.crossplane.io/v1", "Composition", "", x.composition)
	if err != nil {
		t.Fatalf("%s: Composition %q: %v", x, x.composition, err)
	}
	steps, _, _ := unstructured.NestedSlice(c.Object, "spec", "pipeline")
	for _, s := range steps {
		name, _, _ := unstructured.NestedString(s.(map[string]any), "functionRef", "name")
		if strings.Contains(name, "environment-configs") {
			return true
		}
	}
	return false
}

// callsByXR counts the function's calls per XR (namespace/name) between
// from and to, from the "composed" lines of its debug log.
func callsByXR(t *testing.T, log string, from, to time.Time) map[string]int {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	out := map[string]int{}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		// 2026-12-06T15:37:59.229Z	DEBUG	main/fn.go:128	composed	{"xr-name": ...}
		fields := strings.SplitN(s.Text(), "\t", 5)
		if len(fields) < 5 || fields[3] != "composed" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, fields[0])
		if err != nil || at.Before(from) || at.After(to) {
			continue
		}
		var line struct {
			Name      string `json:"xr-name"`
			Namespace string `json:"xr-namespace"`
		}
		if err := json.Unmarshal([]byte(fields[4]), &line); err != nil {
			t.Fatalf("%s: %v", log, err)
		}
		out[line.Namespace+"/"+line.Name]++
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readyAndSynced(u *unstructured.Unstructured) bool {
	r, _ := condition(u, "Ready")
	s, _ := condition(u, "Synced")
	return r == "True" && s == "True"
}

// scraped is one scrape of a Prometheus endpoint: each sample's
// name{labels} with its value.
type scraped map[string]float64

// scrapeMetrics reads the Prometheus text exposition at 127.0.0.1:port.
func scrapeMetrics(ctx context.Context, t *testing.T, port int) scraped {
	t.Helper()
	out, err := tryScrape(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryScrape is scrapeMetrics for a server that may not listen yet.
func tryScrape(ctx context.Context, port int) (scraped, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return nil, err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping metrics at :%d: %w", port, err)
	}
	defer func() { _ = rsp.Body.Close() }()
	out, err := parseMetrics(rsp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics at :%d: %w", port, err)
	}
	return out, nil
}

// parseMetrics reads the samples of a text exposition.
func parseMetrics(r io.Reader) (scraped, error) {
	out := scraped{}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("not a sample: %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("sample %q: %w", line, err)
		}
		out[line[:i]] = v
	}
	return out, s.Err()
}

// sum adds the samples of a metric whose labels contain every one of
// labels (such as `kind="XNodeApp"`).
func (m scraped) sum(name string, labels ...string) float64 {
	var total float64
	for k, v := range m {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(k, l)
		}
		if ok {
			total += v
		}
	}
	return total
}

// delta lists how each sample of a metric grew since before, summed by
// one label, for a log line: `ttl="5s"`: 3, `ttl="10m0s"`: 12.
func (m scraped) delta(before scraped, name, label string) string {
	by := map[string]float64{}
	for k, v := range m {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		for _, part := range strings.Split(strings.Trim(k[len(name):], "{}"), ",") {
			if strings.HasPrefix(part, label+"=") {
				by[part] += v - before[k]
			}
		}
	}
	var parts []string
	for k, v := range by {
		if v != 0 {
			parts = append(parts, fmt.Sprintf("%s: %.0f", k, v))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// deleteUnready deletes the XRs (or the claims of legacy XRs) that earlier
// scenarios left not Ready on purpose (form submissions nothing played,
// an aborted canary, one paused on an inconclusive analysis): they are
// not steady, their TTL is seconds. It waits until they are gone.
func deleteUnready(ctx context.Context, t *testing.T) {
	t.Helper()
	var gone []func() bool
	var names []string
	for _, u := range allXRs(ctx, t) {
		if readyAndSynced(u) {
			continue
		}
		apiVersion, k, ns, name := u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()
		if claim, found, _ := unstructured.NestedMap(u.Object, "spec", "claimRef"); found {
			apiVersion, k = fmt.Sprint(claim["apiVersion"]), fmt.Sprint(claim["kind"])
			ns, name = fmt.Sprint(claim["namespace"]), fmt.Sprint(claim["name"])
		}
		if err := kc.delete(ctx, apiVersion, k, ns, name); err != nil {
			t.Fatalf("deleting %s %s/%s: %v", k, ns, name, err)
		}
		names = append(names, k+" "+strings.TrimPrefix(ns+"/"+name, "/"))
		xrAPI, xrKind, xrNS, xrName := u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()
		gone = append(gone, func() bool {
			_, err := kc.get(ctx, xrAPI, xrKind, xrNS, xrName)
			return err != nil
		})
	}
	t.Logf("deleted %d XRs (or their claims) that are not Ready on purpose: %s", len(names), strings.Join(names, ", "))
	if err := cl.waitFor(3*time.Minute, "the deleted XRs to be gone", func() error {
		for i, g := range gone {
			if !g() {
				return fmt.Errorf("%s still exists", names[i])
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// allXRs lists the XRs of both kinds, namespaced and legacy.
func allXRs(ctx context.Context, t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, api := range []string{"platform.fullstack.io/v1alpha1", "legacy.platform.fullstack.io/v1alpha1"} {
		for _, kind := range []string{"XNodeApp", "XFullStackService"} {
			r, err := kc.resource(api, kind, "")
			if err != nil {
				t.Fatal(err)
			}
			l, err := r.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
		}
	}
	return out
}
