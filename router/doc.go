// Package router owns Vigil's traffic domain: services, model versions named
// MAJOR.MINOR.PATCH-PHASE, their backends, and the per-service route table that splits
// traffic over versions in integer basis points.
//
// Everything here is pure data and validation. The replicated store (raftstore) keeps these
// records, xds translates them into proxy configuration, and the rollout controller proposes
// changes to them.
package router
