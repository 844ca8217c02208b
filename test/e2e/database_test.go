//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// storageGrows sets spec.database.storage on the blog claim: 10Gi, then
// 25Gi, on the same CloudNativePG Cluster (same UID); 20Gi after that is
// refused by the API server with the XRD's message, and nothing changes.
func storageGrows(ctx context.Context, t *testing.T, claimObj map[string]any) {
	claim := (&unstructured.Unstructured{Object: claimObj}).DeepCopy().Object
	database := func() map[string]any {
		db, _ := specOf(claim)["database"].(map[string]any)
		if db == nil {
			db = map[string]any{}
			specOf(claim)["database"] = db
		}
		return db
	}
	cluster := func(size string) types.UID {
		t.Helper()
		var uid types.UID
		if err := cl.waitFor(120*time.Second, "Cluster blog-db storage "+size, func() error {
			o, err := kc.get(ctx, "postgresql.cnpg.io/v1", "Cluster", "blog", "blog-db")
			if err != nil {
				return err
			}
			got, _, _ := unstructured.NestedString(o.Object, "spec", "storage", "size")
			if got != size {
				return fmt.Errorf("spec.storage.size %q", got)
			}
			uid = o.GetUID()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return uid
	}
	var uids []types.UID
	for _, size := range []string{"10Gi", "25Gi"} {
		database()["storage"] = size
		start := time.Now()
		if err := kc.apply(ctx, claim); err != nil {
			t.Fatal(err)
		}
		uids = append(uids, cluster(size))
		converged(t, "spec.database.storage changed -> CloudNativePG Cluster spec.storage.size", time.Since(start))
		t.Logf("NodeApp blog spec.database.storage %s -> Cluster blog-db spec.storage.size %s (uid %s) in %s", size, size, uids[len(uids)-1], time.Since(start).Round(time.Second))
	}
	if uids[0] != uids[1] {
		t.Errorf("the Cluster was replaced: uid %s became %s", uids[0], uids[1])
	}
	database()["storage"] = "20Gi"
	err := kc.apply(ctx, claim)
	if err == nil || !strings.Contains(err.Error(), "storage can only grow") {
		t.Fatalf("shrinking spec.database.storage to 20Gi: want the API server to refuse it, got %v", err)
	}
	t.Logf("NodeApp blog spec.database.storage 20Gi refused: %v", err)
	cluster("25Gi")
}

// migrations gives the shop XNodeApp a migration and new backend images,
// with the real Job controller: kwok runs the first Job's pod to success,
// and the backend takes the new image only after it; for the second image
// the node is cordoned and the harness plays the kubelet failing the pods,
// so the Job controller fails the Job: the backend keeps the image it
// serves and the XR's Migrated condition names the Job and the reason.
func migrations(ctx context.Context, t *testing.T, a *app, xrObj map[string]any) {
	live, err := a.xr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	xr := (&unstructured.Unstructured{Object: xrObj}).DeepCopy().Object
	specOf(xr)["database"] = live.Object["spec"].(map[string]any)["database"]
	db := specOf(xr)["database"].(map[string]any)
	db["migration"] = map[string]any{"command": []any{"npm", "run", "migrate"}}
	backendImage := func() string {
		d, err := kc.get(ctx, "apps/v1", "Deployment", "shop", "shop-backend")
		if err != nil {
			return err.Error()
		}
		cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		return cs[0].(map[string]any)["image"].(string)
	}
	serving := backendImage()
	job := func(image string) *unstructured.Unstructured {
		t.Helper()
		var found *unstructured.Unstructured
		if err := cl.waitFor(120*time.Second, "the migration Job of "+image, func() error {
			jobs, err := migrationJobs(ctx, "shop")
			if err != nil {
				return err
			}
			for i := range jobs {
				if jobContainer(jobs[i])["image"] == image {
					found = &jobs[i]
					return nil
				}
			}
			return fmt.Errorf("%d migration Jobs, none with %s", len(jobs), image)
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}
	setImage := func(image string) {
		t.Helper()
		specOf(xr)["backend"].(map[string]any)["image"] = image
		if err := kc.apply(ctx, xr); err != nil {
			t.Fatal(err)
		}
	}

	// Success: kwok runs the Job's pod, the Job controller completes it.
	start := time.Now()
	setImage("ghcr.io/acme/shop-api:2.0.0")
	j := job("ghcr.io/acme/shop-api:2.0.0")
	if got := backendImage(); got != serving {
		t.Errorf("the backend moved to %s while its migration Job %s has not succeeded", got, j.GetName())
	}
	t.Logf("Job %s created with the new image after %s; the backend still serves %s", j.GetName(), time.Since(start).Round(time.Second), serving)
	completed, seen := watchCompletion(ctx, t, "shop", j.GetName())
	if err := cl.waitFor(180*time.Second, "the backend to take the new image after the migration", func() error {
		if got := backendImage(); got != "ghcr.io/acme/shop-api:2.0.0" {
			o, _ := kc.get(ctx, "batch/v1", "Job", "shop", j.GetName())
			return fmt.Errorf("backend image %s; Job %s", got, jobConditions(o))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	took := time.Now()
	t.Logf("Job %s succeeded (real Job controller, pod run by kwok); the backend took ghcr.io/acme/shop-api:2.0.0 %s after the change", j.GetName(), time.Since(start).Round(time.Second))
	select {
	case at := <-completed:
		converged(t, "migration Job complete -> backend Deployment on the new image", took.Sub(at))
	case <-time.After(10 * time.Second):
		t.Errorf("no completionTime seen on Job %s, although the backend took the new image; watch events: %v", j.GetName(), seen())
	}
	if err := cl.waitFor(120*time.Second, "the finished Job to leave desired state", func() error {
		_, err := kc.get(ctx, "batch/v1", "Job", "shop", j.GetName())
		if err == nil {
			return fmt.Errorf("Job %s still exists", j.GetName())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Failure: no node takes the pods; the harness plays the kubelet.
	cordon := func(on bool) {
		t.Helper()
		r, err := kc.resource("v1", "Node", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Patch(ctx, "kwok-node-0", types.MergePatchType, []byte(fmt.Sprintf(`{"spec":{"unschedulable":%v}}`, on)), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cordon(true)
	defer cordon(false)
	start = time.Now()
	setImage("ghcr.io/acme/shop-api:3.0.0")
	j = job("ghcr.io/acme/shop-api:3.0.0")
	pods, err := kc.resource("v1", "Pod", "shop")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.waitFor(180*time.Second, "the Job controller to fail Job "+j.GetName(), func() error {
		o, err := kc.get(ctx, "batch/v1", "Job", "shop", j.GetName())
		if err != nil {
			return err
		}
		if s, _ := condition(o, "Failed"); s == "True" {
			return nil
		}
		l, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + j.GetName()})
		if err != nil {
			return err
		}
		for i := range l.Items {
			p := &l.Items[i]
			if phase, _, _ := unstructured.NestedString(p.Object, "status", "phase"); phase == "Failed" {
				continue
			}
			now := time.Now().UTC().Format(time.RFC3339)
			if err := kc.patchStatus(ctx, p, map[string]any{"phase": "Failed", "containerStatuses": []any{map[string]any{
				"name": "migration", "image": "ghcr.io/acme/shop-api:3.0.0", "imageID": "", "ready": false, "restartCount": 0,
				"state": map[string]any{"terminated": map[string]any{"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}},
			}}}); err != nil {
				return err
			}
		}
		return fmt.Errorf("Job %s, %d pods", jobConditions(o), len(l.Items))
	}); err != nil {
		t.Fatal(err)
	}
	got := waitXR(ctx, t, a, "Migrated=False naming the failed Job", func(xr *unstructured.Unstructured) error {
		s, msg := condition(xr, "Migrated")
		if s != "False" || !strings.Contains(msg, j.GetName()) || !strings.Contains(msg, "BackoffLimitExceeded") {
			return fmt.Errorf("XR conditions: %s", conditions(xr))
		}
		return nil
	})
	_, msg := condition(got, "Migrated")
	if img := backendImage(); img != "ghcr.io/acme/shop-api:2.0.0" {
		t.Errorf("the backend moved to %s although its migration failed", img)
	}
	t.Logf("failed migration after %s: backend still %s; Migrated=False: %s", time.Since(start).Round(time.Second), backendImage(), msg)

	// Another command for the same image: the failed Job's pod template is
	// immutable, so a new Job replaces it; the XR stays Synced.
	cordon(false)
	failed := j.GetName()
	command := []any{"npm", "run", "migrate", "--", "--retry"}
	db["migration"] = map[string]any{"command": command}
	start = time.Now()
	setImage("ghcr.io/acme/shop-api:3.0.0")
	var replaced string
	if err := cl.waitFor(120*time.Second, "a new migration Job with the new command", func() error {
		jobs, err := migrationJobs(ctx, "shop")
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if fmt.Sprint(jobContainer(j)["command"]) == fmt.Sprint(command) && j.GetName() != failed {
				replaced = j.GetName()
				return nil
			}
		}
		return fmt.Errorf("%d migration Jobs, none with %v", len(jobs), command)
	}); err != nil {
		t.Fatal(err)
	}
	if err := cl.waitFor(180*time.Second, "the backend to take ghcr.io/acme/shop-api:3.0.0 after the new Job", func() error {
		if got := backendImage(); got != "ghcr.io/acme/shop-api:3.0.0" {
			return fmt.Errorf("backend image %s", got)
		}
		if _, err := kc.get(ctx, "batch/v1", "Job", "shop", failed); err == nil {
			return fmt.Errorf("the failed Job %s still exists", failed)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	waitXR(ctx, t, a, "Synced=True", synced)
	t.Logf("a new command for the same image: Job %s replaced %s, and the backend took ghcr.io/acme/shop-api:3.0.0 %s after the change; the XR stayed Synced",
		replaced, failed, time.Since(start).Round(time.Second))

	// A rollback to an image whose migration succeeded runs nothing: its
	// migration tool would refuse the newer schema.
	start = time.Now()
	setImage("ghcr.io/acme/shop-api:2.0.0")
	if err := cl.waitFor(120*time.Second, "the backend to roll back to ghcr.io/acme/shop-api:2.0.0 without a Job", func() error {
		if got := backendImage(); got != "ghcr.io/acme/shop-api:2.0.0" {
			return fmt.Errorf("backend image %s", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	jobs, err := migrationJobs(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if jobContainer(j)["image"] == "ghcr.io/acme/shop-api:2.0.0" {
			t.Errorf("the rollback to ghcr.io/acme/shop-api:2.0.0 ran migration Job %s", j.GetName())
		}
	}
	t.Logf("rollback to ghcr.io/acme/shop-api:2.0.0 in %s, no migration Job", time.Since(start).Round(time.Second))
}

func jobConditions(o *unstructured.Unstructured) string {
	if o == nil {
		return "not found"
	}
	var out []string
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		out = append(out, fmt.Sprintf("%v=%v(%v)", m["type"], m["status"], m["reason"]))
	}
	active, _, _ := unstructured.NestedInt64(o.Object, "status", "active")
	failed, _, _ := unstructured.NestedInt64(o.Object, "status", "failed")
	return fmt.Sprintf("%s active=%d failed=%d", strings.Join(out, ","), active, failed)
}

// migrationJobs lists the migration Jobs in a namespace.
func migrationJobs(ctx context.Context, namespace string) ([]unstructured.Unstructured, error) {
	r, err := kc.resource("batch/v1", "Job", namespace)
	if err != nil {
		return nil, err
	}
	l, err := r.List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=migration"})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// jobContainer is the container of a Job.
func jobContainer(job unstructured.Unstructured) map[string]any {
	cs, _, _ := unstructured.NestedSlice(job.Object, "spec", "template", "spec", "containers")
	return cs[0].(map[string]any)
}

// watchCompletion watches a Job and sends the time its controller
// completed it (status.completionTime, in seconds); a watch, not a poll,
// since the function drops a succeeded Job from desired state within a
// second and Crossplane deletes it. The watch is opened again if the API
// server ends it; seen lists the events for a failure message.
func watchCompletion(ctx context.Context, t *testing.T, namespace, name string) (<-chan time.Time, func() []string) {
	t.Helper()
	out := make(chan time.Time, 1)
	r, err := kc.resource("batch/v1", "Job", namespace)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	note := func(s string) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil {
			w, err := r.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
			if err != nil {
				note("watch: " + err.Error())
				time.Sleep(time.Second)
				continue
			}
			for ev := range w.ResultChan() {
				u, isObj := ev.Object.(*unstructured.Unstructured)
				if !isObj {
					note(fmt.Sprintf("%s %T", ev.Type, ev.Object))
					continue
				}
				ct, _, _ := unstructured.NestedString(u.Object, "status", "completionTime")
				note(fmt.Sprintf("%s completionTime=%q", ev.Type, ct))
				if at, err := time.Parse(time.RFC3339, ct); err == nil {
					out <- at
					w.Stop()
					return
				}
			}
			note("watch ended")
		}
	}()
	return out, func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
}
