package database

import (
	"fmt"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Result is what composing a database adds to a composite's plan.
type Result struct {
	Resources []objects.Composed
	Warnings  []string
	// Pending names what cannot be composed yet, and why.
	Pending []string
	// Requirements are resources Crossplane must fetch for the next call.
	Requirements map[string]*fnv1.ResourceSelector
	// ConnectionDetails of a LegacyCluster XR (and so its claim).
	ConnectionDetails resource.ConnectionDetails
	// Status is the XR's status.database.
	Status v1alpha1.DatabaseStatus
}

// Compose composes the database on its provider and the connection Secret.
// Every composite kind calls it, so a database behaves the same behind each.
func Compose(in Input) (*Result, error) {
	n := in.Meta.Names
	db, ferr := Database(in)
	if ferr != nil {
		return nil, resolve.FieldErrors{ferr}
	}
	out := &Result{
		Resources:    db.Resources,
		Warnings:     db.Warnings,
		Requirements: db.Requirements,
		Status: v1alpha1.DatabaseStatus{
			Provider:   in.DB.Provider,
			Host:       db.Endpoint,
			Port:       5432,
			Name:       db.Connection.DBName,
			SecretName: n.DatabaseConnection,
		},
	}

	// The connection Secret: assembled once everything is known, then kept.
	var data map[string][]byte
	switch o := in.observed(ResDatabaseConnection); {
	case db.Connection.Complete():
		data = ConnectionData(db.Connection)
	case o != nil:
		data = SecretData(o.Object)
	}
	if data == nil {
		out.Pending = append(out.Pending, fmt.Sprintf("%s (Secret %s: waiting for the database %s)",
			ResDatabaseConnection, n.DatabaseConnection, missing(db.Connection)))
		return out, nil
	}
	u, err := objects.FromTyped(ConnectionSecret(in.Meta, data))
	if err != nil {
		return nil, err
	}
	out.Resources = append(out.Resources, objects.Composed{Name: ResDatabaseConnection, Object: u})
	if !in.Namespaced {
		out.ConnectionDetails = data
	}
	return out, nil
}

// missing says which parts of a connection are not known yet.
func missing(c Connection) string {
	var parts []string
	if c.Host == "" {
		parts = append(parts, "endpoint")
	}
	if c.Password == "" {
		parts = append(parts, "password")
	}
	if len(parts) == 0 {
		return "connection details"
	}
	return strings.Join(parts, " and ")
}
