// Command image writes the function's runtime image as an OCI image tarball,
// without a Docker daemon: one layer holding the static binary at /function,
// run as the distroless nonroot user (65532), the same image the Dockerfile
// describes. Every timestamp is zero, so the same binary gives the same
// digest.
//
//	go run ./hack/image -binary _output/xpkg/linux-amd64/function -arch amd64 -o _output/xpkg/runtime-amd64.tar
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// NonRoot is distroless's nonroot user and group. It is numeric so that the
// kubelet can check runAsNonRoot without a passwd file.
const NonRoot = "65532:65532"

// Port is where the function serves gRPC (the SDK's default).
const Port = "9443/tcp"

func main() {
	binary := flag.String("binary", "", "the static linux binary of the function")
	arch := flag.String("arch", "", "the binary's GOARCH: amd64 or arm64")
	out := flag.String("o", "", "the image tarball to write")
	flag.Parse()
	if err := run(*binary, *arch, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(binary, arch, out string) error {
	if binary == "" || arch == "" || out == "" {
		return fmt.Errorf("-binary, -arch and -o are required")
	}
	fn, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(rootfs(fn))), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	img, err := mutate.Append(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1),
		mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "function-fullstack hack/image: COPY function /function"}})
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cfg.Config = v1.Config{
		Entrypoint:   []string{"/function"},
		User:         NonRoot,
		WorkingDir:   "/",
		ExposedPorts: map[string]struct{}{Port: {}},
		Labels:       map[string]string{"org.opencontainers.image.source": "https://github.com/fullstack-fn/function-fullstack"},
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	tag, err := name.NewTag("function-fullstack-runtime:" + arch)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, tag, img)
}

// rootfs is the image's only layer: the binary, owned by root and executable
// by everyone, with a fixed timestamp.
func rootfs(fn []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	// Writes to a bytes.Buffer cannot fail.
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "function", Mode: 0o755, Size: int64(len(fn)), ModTime: epoch, Format: tar.FormatPAX})
	_, _ = tw.Write(fn)
	_ = tw.Close()
	return buf.Bytes()
}
