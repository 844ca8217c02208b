//go:build clients

package binary

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fullstack-fn/function-fullstack/internal/composite"
	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/test/pki"
)

// TestRealClientsConnect gives the backend's environment, exactly as the
// function composes it, to real PostgreSQL clients: psql (libpq),
// node-postgres (the pg package an XNodeApp backend uses) and the
// PostgreSQL JDBC driver. The server is Debian's PostgreSQL serving TLS with
// a certificate from a test CA, laid out as the provider lays it out
// (CloudNativePG: the <cluster>-ca and <cluster>-server Secrets and the
// <cluster>-rw.<namespace>.svc names of its certificate; a cloud provider:
// the CA bundle ConfigMap the platform keeps and the endpoint's name). The
// harness plays the kubelet and cluster DNS only: it projects the backend's
// volumes where its container mounts them and resolves the database host,
// through an overlay on /etc in a private mount namespace. With another CA
// in the bundle every client must refuse the server.
//
// Run by `make clients` (test/clients/run.sh), which installs the server,
// the JDBC driver and the pinned pg package.
func TestRealClientsConnect(t *testing.T) {
	pgBin := envOr("CLIENTS_PG_BIN", "/usr/lib/postgresql/15/bin")
	jdbcJar := envOr("CLIENTS_JDBC_JAR", "/usr/share/java/postgresql.jar")
	cases := []struct {
		example, layout string
	}{
		{"xnodeapp", "CloudNativePG: <cluster>-ca and <cluster>-server Secrets"},
		{"fullstack-aws", "RDS: endpoint name, CA bundle ConfigMap"},
		{"fullstack-azure", "Flexible Server: FQDN, CA bundle ConfigMap"},
	}
	for i, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			rsp := run(t, request(t, tc.example, "all-ready"))
			workload := string(composite.ResBackendDeployment)
			if _, ok := rsp.GetDesired().GetResources()[workload]; !ok {
				workload = string(composite.ResServiceDeployment)
			}
			pod := podSpecOf(t, rsp.GetDesired().GetResources()[workload].GetResource().AsMap())
			conn := secretOf(t, rsp.GetDesired().GetResources()[string(database.ResDatabaseConnection)].GetResource().AsMap())
			host, port := string(conn.Data[database.KeyHost]), string(conn.Data[database.KeyPort])
			addr := fmt.Sprintf("127.0.0.%d", 42+i)

			// The provider's PKI, and the objects it keeps it in.
			dbCA, err := pki.NewCA("database CA of " + tc.example)
			if err != nil {
				t.Fatal(err)
			}
			other, err := pki.NewCA("another CA")
			if err != nil {
				t.Fatal(err)
			}
			ca, caKey, wrongCA := dbCA.PEM, dbCA.KeyPEM, other.PEM
			serverCert, serverKey, err := dbCA.Server(serverNames(host), nil)
			if err != nil {
				t.Fatal(err)
			}
			objects := map[string]map[string][]byte{conn.Name: conn.Data}
			for _, v := range pod.Volumes {
				switch {
				case v.Secret != nil && tc.example == "xnodeapp":
					// CloudNativePG's CA Secret holds the key too.
					objects[v.Secret.SecretName] = map[string][]byte{"ca.crt": ca, "ca.key": caKey}
				case v.ConfigMap != nil:
					objects[v.ConfigMap.Name] = map[string][]byte{}
					for _, it := range v.ConfigMap.Items {
						objects[v.ConfigMap.Name][it.Key] = ca
					}
				}
			}

			srv := startPostgres(t, pgBin, addr, port, serverCert, serverKey)
			srv.createApp(t, string(conn.Data[database.KeyUsername]), string(conn.Data[database.KeyPassword]), string(conn.Data[database.KeyDBName]))

			c := pod.Containers[0]
			env := resolveEnv(t, c, objects)
			clients := map[string][]string{
				"psql":          {filepath.Join(pgBin, "psql"), env["DATABASE_URL"], "-XtA", "-F", " ", "-c", "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()"},
				"node-postgres": {"node", "../../test/clients/connect.js"},
				"jdbc":          {"java", "-cp", jdbcJar, "../../test/clients/Connect.java"},
			}
			user := string(conn.Data[database.KeyUsername])
			for _, name := range []string{"psql", "node-postgres", "jdbc"} {
				args := clients[name]
				root := projectVolumes(t, pod, c, objects, host, addr)
				out, err := inNamespace(root, env, args...)
				got := strings.TrimSpace(out)
				if err != nil || (got != user+" t" && got != user+" true") {
					t.Errorf("%s (%s, %s): want %q connected over TLS, got %q, %v", name, tc.layout, env["DATABASE_SSLMODE"], user+" true", got, err)
				} else {
					t.Logf("%-13s %-55s sslmode=%s: connected as %s over TLS", name, tc.layout, env["DATABASE_SSLMODE"], user)
				}

				// The same environment with another CA in the mounted bundle.
				wrong := map[string]map[string][]byte{}
				for k, v := range objects {
					wrong[k] = map[string][]byte{}
					for kk, vv := range v {
						wrong[k][kk] = vv
						if bytes.Equal(vv, ca) {
							wrong[k][kk] = wrongCA
						}
					}
				}
				root = projectVolumes(t, pod, c, wrong, host, addr)
				out, err = inNamespace(root, env, args...)
				if err == nil {
					t.Errorf("%s (%s): connected although the bundle holds another CA: %q", name, tc.layout, out)
				} else {
					t.Logf("%-13s %-55s wrong CA: refused: %s", name, tc.layout, lastLine(out))
				}
			}
		})
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func podSpecOf(t *testing.T, obj map[string]any) corev1.PodSpec {
	t.Helper()
	var d struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &d); err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec
}

func secretOf(t *testing.T, obj map[string]any) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// resolveEnv resolves a container's environment as the kubelet does: plain
// values, and values from Secret keys.
func resolveEnv(t *testing.T, c corev1.Container, objects map[string]map[string][]byte) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := objects[ref.Name][ref.Key]
			if !ok {
				t.Fatalf("env %s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = string(v)
		default:
			t.Fatalf("env %s: unsupported source", e.Name)
		}
	}
	return env
}

// projectVolumes writes an overlay upper directory for /etc: every volume
// the container mounts under /etc, projected from the objects it names
// (only the items it lists), and /etc/hosts resolving the database host to
// the server's address.
func projectVolumes(t *testing.T, pod corev1.PodSpec, c corev1.Container, objects map[string]map[string][]byte, host, addr string) string {
	t.Helper()
	root := t.TempDir()
	upper := filepath.Join(root, "upper")
	for _, m := range c.VolumeMounts {
		if m.MountPath == "/tmp" {
			continue
		}
		if !strings.HasPrefix(m.MountPath, "/etc/") {
			t.Fatalf("mount %s: the harness projects volumes under /etc only", m.MountPath)
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			var name string
			var items []corev1.KeyToPath
			switch {
			case v.Secret != nil:
				name, items = v.Secret.SecretName, v.Secret.Items
			case v.ConfigMap != nil:
				name, items = v.ConfigMap.Name, v.ConfigMap.Items
			default:
				t.Fatalf("volume %s: unsupported source", v.Name)
			}
			for _, it := range items {
				data, ok := objects[name][it.Key]
				if !ok {
					t.Fatalf("volume %s: %s has no key %s", v.Name, name, it.Key)
				}
				p := filepath.Join(upper, strings.TrimPrefix(m.MountPath, "/etc/"), it.Path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o444); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	hosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	hosts = append(hosts, []byte(fmt.Sprintf("\n%s %s\n", addr, host))...)
	if err := os.WriteFile(filepath.Join(upper, "hosts"), hosts, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// inNamespace runs a client in a private mount namespace whose /etc is the
// overlay of root over the host's, with the container's environment.
func inNamespace(root string, env map[string]string, args ...string) (string, error) {
	script := fmt.Sprintf(`mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/upper,workdir=%s/work /etc && exec "$@"`, root, root)
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/tmp"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// serverNames are the names on the server's certificate: CloudNativePG's
// for its rw, r and ro Services (cluster_funcs.go, GetClusterAltDNSNames),
// or a cloud endpoint's own name.
func serverNames(host string) []string {
	svc, ns, ok := strings.Cut(strings.TrimSuffix(host, ".svc"), ".")
	if !ok || !strings.HasSuffix(host, ".svc") {
		return []string{host}
	}
	cluster := strings.TrimSuffix(svc, "-rw")
	var out []string
	for _, s := range []string{cluster + "-rw", cluster + "-r", cluster + "-ro"} {
		out = append(out, s, s+"."+ns, s+"."+ns+".svc", s+"."+ns+".svc.cluster.local")
	}
	return out
}

type postgres struct {
	bin, socket, port string
	cred              *syscall.Credential
}

// startPostgres runs Debian's PostgreSQL as the postgres user: TLS on with
// the server certificate, listening on addr:port, password logins over TLS
// only (hostssl), the superuser over the Unix socket.
func startPostgres(t *testing.T, bin, addr, port string, cert, key []byte) *postgres {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("the postgres user (Debian's postgresql package) is needed: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "fullstack-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	for p, b := range map[string][]byte{"server.crt": cert, "server.key": key} {
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg := &postgres{bin: bin, socket: dir, port: port, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if out, err := pg.cmd(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=reject").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("listen_addresses = '%s'\nport = %s\nunix_socket_directories = '%s'\nssl = on\nssl_cert_file = '%s/server.crt'\nssl_key_file = '%s/server.key'\n",
		addr, port, dir, dir, dir)
	hba := "local all postgres trust\nhostssl all all 127.0.0.0/8 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(data, "postgresql.auto.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"postgresql.auto.conf", "pg_hba.conf"} {
		_ = os.Chown(filepath.Join(data, f), uid, gid)
	}
	server := pg.cmd(filepath.Join(bin, "postgres"), "-D", data)
	var log bytes.Buffer
	server.Stdout, server.Stderr = &log, &log
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Signal(syscall.SIGINT)
		_ = server.Wait()
	})
	for i := 0; ; i++ {
		if pg.cmd(filepath.Join(bin, "pg_isready"), "-h", dir, "-p", port).Run() == nil {
			break
		}
		if i > 100 {
			t.Fatalf("PostgreSQL did not start on %s:%s:\n%s", addr, port, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return pg
}

func (p *postgres) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	cmd.Dir = p.socket
	return cmd
}

// createApp creates the application role and database, as CloudNativePG's
// initdb bootstrap (or the cloud provider) does.
func (p *postgres) createApp(t *testing.T, role, password, db string) {
	t.Helper()
	sql := "SET password_encryption = 'scram-sha-256';\nCREATE ROLE :\"role\" LOGIN PASSWORD :'password';\nCREATE DATABASE :\"db\" OWNER :\"role\";\n"
	cmd := p.cmd(filepath.Join(p.bin, "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", p.socket, "-p", p.port, "-U", "postgres", "-d", "postgres",
		"-v", "role="+role, "-v", "password="+password, "-v", "db="+db)
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("creating role %s and database %s: %v\n%s", role, db, err, out)
	}
}

// run answers req with the built binary (served --insecure on loopback).
func run(t testing.TB, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := dial(t, start(t, "--insecure").addr, plaintext).RunFunction(callCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	return rsp
}
