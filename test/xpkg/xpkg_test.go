//go:build xpkg

// Package xpkg opens the packages `make xpkg` built (hack/xpkg.sh sets
// XPKG_DIR) and checks what Crossplane's package manager and a kubelet read
// from them: the package metadata and objects in package.yaml, and the
// runtime image's platform, user, entrypoint and binary.
package xpkg

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The repository root, relative to this package.
const repo = "../.."

// contents is what a package image holds: the objects of package.yaml and
// the files of every layer, by path.
type contents struct {
	objects []*unstructured.Unstructured
	files   map[string]file
}

type file struct {
	mode int64
	data []byte
}

// open reads a built package.
func open(t *testing.T, name string) (v1.Image, contents) {
	t.Helper()
	dir := os.Getenv("XPKG_DIR")
	if dir == "" {
		t.Fatal("XPKG_DIR is not set: run `make xpkg`, which builds the packages and then this test")
	}
	img, err := tarball.ImageFromPath(filepath.Join(dir, name), nil)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("xpkg: %s %s", digest, name)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	c := contents{files: map[string]file{}}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: layer: %v", name, err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			c.files[h.Name] = file{mode: h.Mode, data: b}
		}
		_ = rc.Close()
	}
	pkg, ok := c.files["package.yaml"]
	if !ok {
		t.Fatalf("%s has no package.yaml; files: %v", name, keys(c.files))
	}
	c.objects = decode(t, name, pkg.data)
	return img, c
}

func decode(t *testing.T, name string, b []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("%s: %v", name, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// sourceObjects reads the objects a package is built from.
func sourceObjects(t *testing.T, globs ...string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, g := range globs {
		files, err := filepath.Glob(filepath.Join(repo, g))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files match %s", g)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, decode(t, f, b)...)
		}
	}
	return objs
}

// byKindName indexes objects by "Kind/name".
// The status `crossplane xpkg build` adds (empty) is left out.
func byKindName(objs []*unstructured.Unstructured) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, o := range objs {
		c := o.DeepCopy()
		unstructured.RemoveNestedField(c.Object, "status")
		m[o.GetKind()+"/"+o.GetName()] = c.Object
	}
	return m
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestFunctionPackage(t *testing.T) {
	want := byKindName(sourceObjects(t, "package/crossplane.yaml", "package/input/*.yaml"))
	cases := map[string]struct {
		file    string
		arch    string
		machine elf.Machine
	}{
		"linux/amd64": {file: "function-fullstack-amd64.xpkg", arch: "amd64", machine: elf.EM_X86_64},
		"linux/arm64": {file: "function-fullstack-arm64.xpkg", arch: "arm64", machine: elf.EM_AARCH64},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			img, c := open(t, tc.file)

			// package.yaml: the Function metadata and the Input CRD, as in package/.
			if diff := cmp.Diff(want, byKindName(c.objects)); diff != "" {
				t.Errorf("package.yaml objects (-package/ +built):\n%s", diff)
			}
			meta := byKindName(c.objects)["Function/function-fullstack"]
			caps, _, _ := unstructured.NestedStringSlice(meta, "spec", "capabilities")
			if diff := cmp.Diff([]string{"composition"}, caps); diff != "" {
				t.Errorf("capabilities (-want +got):\n%s", diff)
			}
			if _, ok := byKindName(c.objects)["CustomResourceDefinition/inputs.fullstack.fn.crossplane.io"]; !ok {
				t.Errorf("no Input CRD in package.yaml: %v", keys(byKindName(c.objects)))
			}

			// The runtime image: platform, user, entrypoint, port.
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]any{
				"os": cfg.OS, "architecture": cfg.Architecture, "user": cfg.Config.User,
				"entrypoint": cfg.Config.Entrypoint, "ports": keys(cfg.Config.ExposedPorts),
			}
			wantCfg := map[string]any{
				"os": "linux", "architecture": tc.arch, "user": "65532:65532",
				"entrypoint": []string{"/function"}, "ports": []string{"9443/tcp"},
			}
			if diff := cmp.Diff(wantCfg, got); diff != "" {
				t.Errorf("image config (-want +got):\n%s", diff)
			}

			// The binary: executable, for this architecture, static (no
			// program interpreter, so it runs on an image with no libc).
			fn, ok := c.files["function"]
			if !ok {
				t.Fatalf("no /function in the image; files: %v", keys(c.files))
			}
			if fn.mode&0o111 == 0 {
				t.Errorf("/function mode %o is not executable", fn.mode)
			}
			f, err := elf.NewFile(bytes.NewReader(fn.data))
			if err != nil {
				t.Fatalf("/function is not an ELF binary: %v", err)
			}
			if f.Machine != tc.machine {
				t.Errorf("/function is built for %v, want %v", f.Machine, tc.machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("/function is dynamically linked (has a program interpreter)")
				}
			}
		})
	}
}

func TestConfigurationPackage(t *testing.T) {
	_, c := open(t, "configuration-fullstack.xpkg")
	got := byKindName(c.objects)
	want := byKindName(sourceObjects(t, "configuration/crossplane.yaml", "configuration/*/*.yaml"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("package.yaml objects (-configuration/ +built):\n%s", diff)
	}
	wantKinds := []string{
		"CompositeResourceDefinition/xfullstackservices.platform.fullstack.io",
		"CompositeResourceDefinition/xnodeapps.platform.fullstack.io",
		"Configuration/configuration-fullstack",
	}
	for _, k := range wantKinds {
		if _, ok := got[k]; !ok {
			t.Errorf("package.yaml has no %s; has %v", k, keys(got))
		}
	}
	// The dependencies the Compositions' functionRefs rely on.
	deps, _, _ := unstructured.NestedSlice(got["Configuration/configuration-fullstack"], "spec", "dependsOn")
	wantDeps := []any{map[string]any{
		"apiVersion": "pkg.crossplane.io/v1", "kind": "Function",
		"package": "xpkg.crossplane.io/fullstack-fn/function-fullstack", "version": ">=v0.1.0 <v0.2.0",
	}, map[string]any{
		"apiVersion": "pkg.crossplane.io/v1", "kind": "Function",
		"package": "xpkg.crossplane.io/crossplane-contrib/function-environment-configs", "version": ">=v0.7.1 <v0.8.0",
	}}
	if diff := cmp.Diff(wantDeps, deps); diff != "" {
		t.Errorf("dependsOn (-want +got):\n%s", diff)
	}
	// Crossplane names the Function it installs for a dependency after the
	// package's repository (fullstack-fn/function-fullstack); every
	// Composition runs function-environment-configs, then function-fullstack
	// (the e2e installs the Configuration and composes through both).
	wantRefs := []string{"crossplane-contrib-function-environment-configs", "fullstack-fn-function-fullstack"}
	comps := 0
	for k, o := range got {
		u := &unstructured.Unstructured{Object: o}
		if u.GetKind() != "Composition" {
			continue
		}
		comps++
		pipeline, _, _ := unstructured.NestedSlice(o, "spec", "pipeline")
		var refs []string
		for _, s := range pipeline {
			step, _ := s.(map[string]any)
			ref, _, _ := unstructured.NestedString(step, "functionRef", "name")
			refs = append(refs, ref)
		}
		if diff := cmp.Diff(wantRefs, refs); diff != "" {
			t.Errorf("%s: functionRefs (-want +got), the names Crossplane gives the dependencies:\n%s", k, diff)
		}
	}
	if comps != 4 {
		t.Errorf("%d Compositions in the package, want 4 (v2 and legacy, per composite)", comps)
	}
	// A Configuration has no runtime: only package.yaml.
	if diff := cmp.Diff([]string{"package.yaml"}, keys(c.files)); diff != "" {
		t.Errorf("files in the configuration package (-want +got):\n%s", diff)
	}
}
