package compose

import (
	"fmt"
	"strings"

	"github.com/fullstack-fn/function-fullstack/internal/build"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/spec"
)

// composeDatabase adds the database on its provider and the connection
// Secret to the plan, and returns the XR's status.database. Every composite
// kind shares it, so a database behaves the same behind each.
func composeDatabase(r Request, m build.Meta, database spec.Database, plan *Plan) (map[string]any, error) {
	n := m.Names
	namespaced := r.XR.GetNamespace() != ""
	db, ferr := build.Database(build.DatabaseInput{
		Meta:              m,
		DB:                database,
		Environment:       m.Environment,
		Namespaced:        namespaced,
		ClusterScopedName: names.For(r.XR.GetName()).Database,
		Observed:          r.observedAll(),
		Required:          r.Required,
		Platform:          r.Databases,
		PasswordSeed:      r.PasswordSeed,
	})
	if ferr != nil {
		return nil, FieldErrors{ferr}
	}
	plan.Warnings = append(plan.Warnings, db.Warnings...)
	// The database is the only part of a plan that requires resources.
	plan.Requirements = db.Requirements
	plan.Resources = append(plan.Resources, db.Resources...)

	// The connection Secret: assembled once everything is known, then kept.
	var data map[string][]byte
	switch o := r.observed(build.ResDatabaseConnection); {
	case db.Connection.Complete():
		data = build.ConnectionData(db.Connection)
	case o != nil:
		data = build.SecretData(o.Object)
	}
	if data != nil {
		u, err := build.FromTyped(build.ConnectionSecret(m, data))
		if err != nil {
			return nil, err
		}
		plan.Resources = append(plan.Resources, Resource{Name: build.ResDatabaseConnection, Object: u})
		if !namespaced {
			plan.ConnectionDetails = data
		}
	} else {
		plan.Pending = append(plan.Pending, fmt.Sprintf("%s (Secret %s: waiting for the database %s)",
			build.ResDatabaseConnection, n.DatabaseConnection, missing(db.Connection)))
	}

	status := map[string]any{
		"provider":   database.Provider,
		"port":       int64(5432),
		"name":       db.Connection.DBName,
		"secretName": n.DatabaseConnection,
	}
	if db.Endpoint != "" {
		status["host"] = db.Endpoint
	}
	return status, nil
}

// missing says which parts of a connection are not known yet.
func missing(c build.Connection) string {
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
