package v1alpha1

// EnvVar is one environment variable for a container: a plain value, or
// a key of a Secret or ConfigMap in the application's namespace, so a
// secret never has to be written into the XR.
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.valueFrom))",message="set value or valueFrom, not both"
type EnvVar struct {
	// Variable name.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z][-._a-zA-Z0-9]*$`
	Name string `json:"name"`
	// Variable value.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value,omitempty"`
	// Where the value comes from instead: a key of a Secret (an API key,
	// a token) or of a ConfigMap.
	// +optional
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

// EnvVarSource is a key of a Secret or of a ConfigMap; exactly one is set.
// +kubebuilder:validation:XValidation:rule="has(self.secretKeyRef) != has(self.configMapKeyRef)",message="set exactly one of secretKeyRef and configMapKeyRef"
type EnvVarSource struct {
	// A key of a Secret in the application's namespace.
	// +optional
	SecretKeyRef *KeyRef `json:"secretKeyRef,omitempty"`
	// A key of a ConfigMap in the application's namespace.
	// +optional
	ConfigMapKeyRef *KeyRef `json:"configMapKeyRef,omitempty"`
}

// KeyRef names a key of a Secret or ConfigMap.
type KeyRef struct {
	// Name of the Secret or ConfigMap.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
	// The key whose value the variable takes.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// EnvFromSource takes every key of a Secret or ConfigMap as an
// environment variable; exactly one of secretRef and configMapRef is set.
// Variables the platform sets (PORT, DATABASE_*...) and env win over them.
// +kubebuilder:validation:XValidation:rule="has(self.secretRef) != has(self.configMapRef)",message="set exactly one of secretRef and configMapRef"
type EnvFromSource struct {
	// Name of a Secret in the application's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	SecretRef string `json:"secretRef,omitempty"`
	// Name of a ConfigMap in the application's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	ConfigMapRef string `json:"configMapRef,omitempty"`
	// Put in front of every key, such as STRIPE_.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z][-._a-zA-Z0-9]*$`
	Prefix string `json:"prefix,omitempty"`
}

// File mounts the keys of a ConfigMap or Secret as files in a read-only
// directory; exactly one of configMap and secret is set.
// +kubebuilder:validation:XValidation:rule="has(self.configMap) != has(self.secret)",message="set exactly one of configMap and secret"
type File struct {
	// Absolute directory the keys appear in, one file each, such as
	// /etc/app.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^(/[A-Za-z0-9._@+-]+)+$`
	Path string `json:"path"`
	// Name of a ConfigMap in the application's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	ConfigMap string `json:"configMap,omitempty"`
	// Name of a Secret in the application's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Secret string `json:"secret,omitempty"`
}

// ResourceList is a CPU and memory quantity pair.
type ResourceList struct {
	// CPU, such as 100m or 1.
	// +optional
	// +kubebuilder:validation:Pattern=`^([+]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`
	CPU string `json:"cpu,omitempty"`
	// Memory, such as 128Mi or 1Gi.
	// +optional
	// +kubebuilder:validation:Pattern=`^([+]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`
	Memory string `json:"memory,omitempty"`
}

// Resources are a container's requests and limits. Unset values take the
// platform defaults (docs/xnodeapp.md, docs/xfullstackservice.md).
type Resources struct {
	// What the pod is guaranteed.
	// +optional
	Requests *ResourceList `json:"requests,omitempty"`
	// The most the pod may use. Requests must not exceed limits.
	// +optional
	Limits *ResourceList `json:"limits,omitempty"`
}

// Container is what every workload runs: one image, its replicas,
// resources and environment.
type Container struct {
	// Container image, such as ghcr.io/acme/api:1.2.3; an image without a
	// registry gets the platform registry (function Input). It runs as user
	// 1000 with a read-only root filesystem and a writable /tmp.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`
	Image string `json:"image"`
	Pods  `json:",inline"`
}

// Pods are how a workload's pods run: replicas, probes, and what every
// process of the application sets (Process).
type Pods struct {
	// Number of pods. Defaults to the environment's (docs/xnodeapp.md,
	// docs/xfullstackservice.md); with
	// autoscaling it is the default minReplicas.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=50
	Replicas *int64 `json:"replicas,omitempty"`
	Process  `json:",inline"`
	// HTTP path of the liveness probe (a failure restarts the pod): an
	// endpoint that checks only the process, never a dependency. Default:
	// the framework's liveness endpoint (spring-boot
	// /actuator/health/liveness, quarkus /q/health/live), else healthPath.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`
	LivenessPath string `json:"livenessPath,omitempty"`
	// HTTP path of the readiness probe (a failure takes the pod out of the
	// Service). Default: the framework's readiness endpoint (spring-boot
	// /actuator/health/readiness, quarkus /q/health/ready), else healthPath.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`
	ReadinessPath string `json:"readinessPath,omitempty"`
	// Timings of the startup, readiness and liveness probes, for an
	// application slower (or faster) than the defaults (docs/xnodeapp.md).
	// +optional
	Probes *Probes `json:"probes,omitempty"`
	// More ports the container listens on (gRPC, a metrics or admin
	// port), each also a port of its Service; the application's other
	// pods may reach them.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	Ports []NamedPort `json:"ports,omitempty"`
}

// Probes are the timings of a workload's probes.
type Probes struct {
	// The startup probe: until it passes, the others wait. Default: every
	// 5 s, 30 failures (150 s to start).
	// +optional
	Startup *ProbeTiming `json:"startup,omitempty"`
	// The readiness probe. Default: every 10 s, 3 failures.
	// +optional
	Readiness *ProbeTiming `json:"readiness,omitempty"`
	// The liveness probe. Default: every 20 s, 3 failures.
	// +optional
	Liveness *ProbeTiming `json:"liveness,omitempty"`
}

// ProbeTiming is how often a probe runs and how much failure it takes.
type ProbeTiming struct {
	// Seconds between two probes.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	PeriodSeconds *int64 `json:"periodSeconds,omitempty"`
	// Seconds a probe may take. Default: 2.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	TimeoutSeconds *int64 `json:"timeoutSeconds,omitempty"`
	// Failures in a row that count.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	FailureThreshold *int64 `json:"failureThreshold,omitempty"`
	// Seconds before the first probe. Default: 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=600
	InitialDelaySeconds *int64 `json:"initialDelaySeconds,omitempty"`
}

// NamedPort is one more TCP port of a container and its Service.
type NamedPort struct {
	// Name of the port, such as grpc; http is the main port's.
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Port number, on the container and the Service.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int64 `json:"port"`
}

// Process is what every process of the application (a workload, a worker,
// a scheduled job) sets: resources, environment, files, command, registry
// credentials, pod metadata and writable paths.
type Process struct {
	// CPU and memory requests and limits. Unset values take the platform
	// defaults (docs/xnodeapp.md, docs/xfullstackservice.md).
	// +optional
	Resources *Resources `json:"resources,omitempty"`
	// Plain environment variables. PORT, API_URL and DATABASE_* are set by
	// the platform and cannot be used.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Env []EnvVar `json:"env,omitempty"`
	// Every key of a Secret or ConfigMap as environment variables.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	EnvFrom []EnvFromSource `json:"envFrom,omitempty"`
	// ConfigMaps and Secrets mounted read-only as files.
	// +optional
	// +listType=map
	// +listMapKey=path
	// +kubebuilder:validation:MaxItems=16
	Files []File `json:"files,omitempty"`
	// The command the container runs instead of its image's entrypoint.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=1024
	Command []string `json:"command,omitempty"`
	// Arguments to the command (or to the image's entrypoint).
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=1024
	Args []string `json:"args,omitempty"`
	// Secrets with the credentials of a private registry, such as
	// ghcr-pull, in the application's namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
	// Annotations of the pods, such as a service mesh's or a log shipper's.
	// Keys under app.kubernetes.io/, fullstack.io/ and argo-rollouts' are
	// the platform's.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`
	// Labels of the pods. Keys under app.kubernetes.io/, fullstack.io/ and
	// the controllers' own are the platform's.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	PodLabels map[string]string `json:"podLabels,omitempty"`
	// Absolute paths the container may write to besides /tmp (the root
	// filesystem is read-only), such as /app/.next/cache: each is an empty
	// directory for the life of the pod. HOME is /tmp unless env sets it.
	// Default: none, except the XNodeApp frontend's /app/.next/cache
	// (Next.js's cache); setting the list replaces the default.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=255
	// +kubebuilder:validation:items:Pattern=`^(/[A-Za-z0-9._@+-]+)+$`
	WritablePaths []string `json:"writablePaths,omitempty"`
}
