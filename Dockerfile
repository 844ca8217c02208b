# syntax=docker/dockerfile:1

# Build a static binary.
FROM golang:1.26.8 AS build
WORKDIR /fn
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w -buildid=" -o /function .

# Run it on distroless, as its non-root user (numeric, so a kubelet can check
# runAsNonRoot). `make xpkg` builds the same image without Docker (hack/image).
FROM gcr.io/distroless/static-debian12:nonroot AS image
WORKDIR /
COPY --from=build /function /function
EXPOSE 9443
USER 65532:65532
ENTRYPOINT ["/function"]
