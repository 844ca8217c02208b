package database

import (
	"encoding/base64"
	"net"
	"net/url"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/objects"
)

// Keys of the connection Secret: the one contract the backend reads,
// whatever the provider.
const (
	KeyHost     = "host"
	KeyPort     = "port"
	KeyUsername = "username"
	KeyPassword = "password"
	KeyDBName   = "dbname"
	KeyURI      = "uri"
	KeySSLMode  = "sslmode"
	// KeySSLRootCert is the path of the CA bundle in the backend's
	// container, mounted read-only.
	KeySSLRootCert = "sslrootcert"
	// KeyJDBCURL is the URL for Java's PostgreSQL JDBC driver, credentials
	// and TLS settings included.
	KeyJDBCURL = "jdbcUrl"
)

// ConnectionKeys lists every key of the connection Secret.
var ConnectionKeys = []string{KeyHost, KeyPort, KeyUsername, KeyPassword, KeyDBName, KeyURI, KeySSLMode, KeySSLRootCert, KeyJDBCURL}

// SSLMode is the TLS mode of every connection: encrypted, the server's
// certificate verified against the database's CA and its name checked.
const SSLMode = "verify-full"

// Connection is what the backend needs to reach the database. Fields are
// empty until known.
type Connection struct {
	Host, Port, Username, Password, DBName string
	// CAKnown is false while a cloud provider's CA bundle is missing.
	CAKnown bool
}

// Complete reports whether every field is known.
func (c Connection) Complete() bool {
	return c.Host != "" && c.Port != "" && c.Username != "" && c.Password != "" && c.DBName != "" && c.CAKnown
}

// ConnectionData is the connection Secret's data for a complete connection.
// The URI is read by libpq (psql, psycopg), pgx and node-postgres alike:
// node-postgres reads the file sslrootcert names, and all of them verify
// the server's certificate and name with sslmode=verify-full.
func ConnectionData(c Connection) map[string][]byte {
	tls := "sslmode=" + SSLMode + "&sslrootcert=" + objects.DatabaseCAPath
	u := url.URL{
		Scheme:   "postgresql",
		User:     url.UserPassword(c.Username, c.Password),
		Host:     net.JoinHostPort(c.Host, c.Port),
		Path:     "/" + c.DBName,
		RawQuery: tls,
	}
	jdbc := url.URL{
		Scheme:   "jdbc:postgresql",
		Host:     net.JoinHostPort(c.Host, c.Port),
		Path:     "/" + url.PathEscape(c.DBName),
		RawQuery: "user=" + url.QueryEscape(c.Username) + "&password=" + url.QueryEscape(c.Password) + "&" + tls,
	}
	return map[string][]byte{
		KeyHost: []byte(c.Host), KeyPort: []byte(c.Port), KeyUsername: []byte(c.Username),
		KeyPassword: []byte(c.Password), KeyDBName: []byte(c.DBName), KeySSLMode: []byte(SSLMode),
		KeySSLRootCert: []byte(objects.DatabaseCAPath), KeyURI: []byte(u.String()), KeyJDBCURL: []byte(jdbc.String()),
	}
}

// secretValue reads a key of a Secret object, decoding data or reading
// stringData.
func secretValue(obj map[string]any, key string) string {
	if s, ok, _ := unstructured.NestedString(obj, "data", key); ok {
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			return string(b)
		}
	}
	s, _, _ := unstructured.NestedString(obj, "stringData", key)
	return s
}

// SecretData reads every key of a Secret object.
func SecretData(obj map[string]any) map[string][]byte {
	out := map[string][]byte{}
	data, _, _ := unstructured.NestedMap(obj, "data")
	for k := range data {
		out[k] = []byte(secretValue(obj, k))
	}
	return out
}

func objectOf(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	return u.Object
}
