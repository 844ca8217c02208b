// Package loopback gives tests addresses on the loopback interface.
package loopback

import (
	"net"
	"testing"
)

// Addr returns a loopback address no one listens on (the port was free a
// moment ago).
func Addr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
