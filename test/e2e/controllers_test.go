//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// startWorkloadControllers starts what runs pods and rolls them out: the
// scheduler, kwok (fake nodes whose pods start and become Ready, no
// containers run) with one node, and the real Argo Rollouts controller; and
// the Prometheus stand-in the analyses query.
func (c *cluster) startWorkloadControllers(ctx context.Context) error {
	// etcd 3.4 (Debian's) has no watch progress requests, so the API server
	// refuses streaming lists; newer clients must list the classic way.
	noWatchList := []string{"KUBE_FEATURE_WatchListClient=false"}
	if err := c.start("kube-scheduler", noWatchList, env("E2E_KUBE_SCHEDULER"),
		"--kubeconfig="+c.kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", freePort()),
	); err != nil {
		return err
	}
	if err := c.start("kwok", noWatchList, env("E2E_KWOK"),
		"--kubeconfig="+c.kubeconfig,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.244.0.0/16", "--node-ip=10.0.0.10",
		fmt.Sprintf("--server-address=127.0.0.1:%d", freePort()),
		"--node-lease-duration-seconds=40",
	); err != nil {
		return err
	}
	if err := c.addKwokNode(ctx, "kwok-node-0"); err != nil {
		return err
	}
	if err := c.start("rollouts-controller", append(noWatchList, "POD_NAMESPACE=argo-rollouts"), env("E2E_ROLLOUTS_CONTROLLER"),
		"--kubeconfig="+c.kubeconfig, "--leader-elect=false",
		fmt.Sprintf("--metricsPort=%d", freePort()), fmt.Sprintf("--healthzPort=%d", freePort()),
		"--loglevel=info",
	); err != nil {
		return err
	}
	var err error
	c.prom, err = newPromStandIn()
	return err
}

// addKwokNode adds a node kwok runs (500 pods) and waits until it is
// Ready and untainted.
func (c *cluster) addKwokNode(ctx context.Context, name string) error {
	k, err := newKube(c.rest)
	if err != nil {
		return err
	}
	if err := k.apply(ctx, map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{
			"name":        name,
			"annotations": map[string]any{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			"labels":      map[string]any{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok", "topology.kubernetes.io/zone": "zone-a"},
		},
		"status": map[string]any{
			"allocatable": map[string]any{"cpu": "64", "memory": "256Gi", "pods": "500"},
			"capacity":    map[string]any{"cpu": "64", "memory": "256Gi", "pods": "500"},
		},
	}); err != nil {
		return err
	}
	if err := c.waitFor(60*time.Second, "kwok node "+name+" to be Ready", func() error {
		n, err := k.get(ctx, "v1", "Node", "", name)
		if err != nil {
			return err
		}
		if s, _ := condition(n, "Ready"); s != "True" {
			return fmt.Errorf("node conditions: %s", conditions(n))
		}
		return nil
	}); err != nil {
		return err
	}
	// The API server taints a new node not-ready; the node lifecycle
	// controller, which does not run here, would lift it once kwok reports
	// the node Ready.
	nodes, err := k.resource("v1", "Node", "")
	if err != nil {
		return err
	}
	if _, err := nodes.Patch(ctx, name, types.MergePatchType, []byte(`{"spec":{"taints":null}}`), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("cannot lift the not-ready taint of the kwok node: %w", err)
	}
	return nil
}

// promStandIn answers Prometheus' instant query API (/api/v1/query) the way
// Prometheus holding ingress-nginx's metrics would, with a success rate
// scripted per namespace (or no series at all). Its series carry the
// labels ingress-nginx gives a request its canary Ingress routed (read
// from its Lua monitor and socket collector): namespace, ingress and
// service (the stable Service's names), and
// canary="<namespace>-<canary Service>-<port>". A query whose equality
// matchers do not fit those labels selects nothing, as it would in
// Prometheus; the expression itself is not evaluated.
type promStandIn struct {
	URL   string
	mu    sync.Mutex
	rates map[string]*float64
	// queries counts the queries per namespace, to show the analysis ran.
	queries map[string]int
}

var matcherRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"`)

func newPromStandIn() (*promStandIn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &promStandIn{URL: "http://" + l.Addr().String(), rates: map[string]*float64{}, queries: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return p, nil
}

// script sets what the namespace's query returns: a rate, or nil for no
// data.
func (p *promStandIn) script(namespace string, rate *float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rates[namespace] = rate
}

func (p *promStandIn) count(namespace string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queries[namespace]
}

func (p *promStandIn) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/query" {
		http.NotFound(w, r)
		return
	}
	_ = r.ParseForm()
	q := r.Form.Get("query")
	// The namespace is the one the Rollout passed as an argument.
	ns := ""
	if i := strings.Index(q, `namespace="`); i >= 0 {
		ns = q[i+len(`namespace="`):]
		ns = ns[:strings.Index(ns, `"`)]
	}
	p.mu.Lock()
	p.queries[ns]++
	rate := p.rates[ns]
	p.mu.Unlock()
	// The canary's series in namespace ns, whose Rollout, stable Service and
	// Ingress are all named ns (the delivery scenarios' XRs).
	series := map[string]string{"namespace": ns, "ingress": ns, "service": ns, "canary": ns + "-" + ns + "-canary-http"}
	for _, m := range matcherRE.FindAllStringSubmatch(q, -1) {
		if v, ok := series[m[1]]; !ok || v != m[2] {
			rate = nil
		}
	}
	result := []any{}
	if rate != nil {
		result = append(result, map[string]any{"metric": map[string]any{}, "value": []any{float64(time.Now().Unix()), strconv.FormatFloat(*rate, 'f', -1, 64)}})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
}

// servingWatch follows the pods of a namespace and its stable Service, and
// records the fewest ready pods the Service selected after any event.
type servingWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	low    int
	events int
	lowAt  string
	// err says why the watch ended early, if it did.
	err string
}

func watchServing(ctx context.Context, namespace, service string) (*servingWatch, error) {
	pods, err := kc.resource("v1", "Pod", namespace)
	if err != nil {
		return nil, err
	}
	svcs, err := kc.resource("v1", "Service", namespace)
	if err != nil {
		return nil, err
	}
	// The state now, then every change from there: a watch without a
	// resource version sends no initial events on this API server.
	podList, err := pods.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	svc, err := svcs.Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	pw, err := pods.Watch(ctx, metav1.ListOptions{ResourceVersion: podList.GetResourceVersion()})
	if err != nil {
		cancel()
		return nil, err
	}
	sw, err := svcs.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + service, ResourceVersion: svc.GetResourceVersion()})
	if err != nil {
		cancel()
		return nil, err
	}
	w := &servingWatch{cancel: cancel, done: make(chan struct{}), low: 1 << 30}
	initial := map[string]map[string]string{}
	for i := range podList.Items {
		p := &podList.Items[i]
		if s, _ := condition(p, "Ready"); s == "True" && p.GetDeletionTimestamp() == nil {
			initial[p.GetName()] = p.GetLabels()
		}
	}
	initialSelector, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	go func() {
		defer close(w.done)
		ready := initial // ready pod name -> labels
		selector := initialSelector
		count := func() int {
			n := 0
			for _, l := range ready {
				match := selector != nil
				for k, v := range selector {
					if l[k] != v {
						match = false
					}
				}
				if match {
					n++
				}
			}
			return n
		}
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-pw.ResultChan():
				if !ok {
					w.err = "the pod watch ended"
					return
				}
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				s, _ := condition(u, "Ready")
				if ev.Type == watch.Deleted || s != "True" || u.GetDeletionTimestamp() != nil {
					delete(ready, u.GetName())
				} else {
					ready[u.GetName()] = u.GetLabels()
				}
			case ev, ok := <-sw.ResultChan():
				if !ok {
					w.err = "the Service watch ended"
					return
				}
				if u, ok := ev.Object.(*unstructured.Unstructured); ok {
					selector, _, _ = unstructured.NestedStringMap(u.Object, "spec", "selector")
				}
			}
			if selector == nil {
				continue
			}
			w.events++
			if n := count(); n < w.low {
				w.low = n
				w.lowAt = fmt.Sprintf("%d ready pods selected by %v at %s", n, selector, time.Now().Format(time.RFC3339Nano))
			}
		}
	}()
	return w, nil
}

// stop ends the watch and returns the fewest ready pods seen and the
// number of events.
func (w *servingWatch) stop() (int, int) {
	w.cancel()
	<-w.done
	if w.err != "" && w.events == 0 {
		w.low = 0
		w.lowAt = w.err
	}
	return w.low, w.events
}
