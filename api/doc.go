// Package api holds the wire types of xds-server's admin HTTP API and a typed Go client for
// it, shared by meshctl, xds-server and tests. Records reuse router's domain types, which
// depend on nothing but the standard library.
package api
