package database

import (
	"encoding/base64"
	"net"
	"net/url"

	"github.com/crossplane/function-sdk-go/resource/composed"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
)

// ConnectionKeys lists every key of the connection Secret.
var ConnectionKeys = []string{KeyHost, KeyPort, KeyUsername, KeyPassword, KeyDBName, KeyURI, KeySSLMode}

// Connection is what the backend needs to reach the database. Fields are
// empty until known.
type Connection struct {
	Host, Port, Username, Password, DBName, SSLMode string
}

// Complete reports whether every field is known.
func (c Connection) Complete() bool {
	return c.Host != "" && c.Port != "" && c.Username != "" && c.Password != "" && c.DBName != "" && c.SSLMode != ""
}

// ConnectionData is the connection Secret's data for a complete connection.
func ConnectionData(c Connection) map[string][]byte {
	u := url.URL{
		Scheme:   "postgresql",
		User:     url.UserPassword(c.Username, c.Password),
		Host:     net.JoinHostPort(c.Host, c.Port),
		Path:     "/" + c.DBName,
		RawQuery: url.Values{"sslmode": {c.SSLMode}}.Encode(),
	}
	return map[string][]byte{
		KeyHost: []byte(c.Host), KeyPort: []byte(c.Port), KeyUsername: []byte(c.Username),
		KeyPassword: []byte(c.Password), KeyDBName: []byte(c.DBName), KeySSLMode: []byte(c.SSLMode),
		KeyURI: []byte(u.String()),
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

func objectOf(u *composed.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	return u.Object
}
