package xds

import (
	"slices"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

// Short type names as the ledger reports them.
const (
	TypeListener = "Listener"
	TypeRoute    = "RouteConfiguration"
	TypeCluster  = "Cluster"
	TypeEndpoint = "ClusterLoadAssignment"
)

// Coverage says how many of the proxies that route a service have ACKed a configuration.
type Coverage struct {
	// Watching is the number of proxies that route the service.
	Watching int `json:"watching"`
	// Acked is how many of them ACKed the configuration at or above the required version.
	Acked int `json:"acked"`
	// Pending lists proxies (node id @ server) that have not ACKed it yet.
	Pending []string `json:"pending,omitempty"`
	// Rejected lists proxies that NACKed a version at or above the required one, with
	// their error.
	Rejected []api.Nack `json:"rejected,omitempty"`
	// RejectedBy names the proxies of Rejected, in the same order.
	RejectedBy []string `json:"rejected_by,omitempty"`
}

// Fraction is Acked/Watching; 1 when no proxy watches the service (nothing to wait for).
func (c Coverage) Fraction() float64 {
	if c.Watching == 0 {
		return 1
	}
	return float64(c.Acked) / float64(c.Watching)
}

// Watches reports whether proxy p routes service: Envoy proxies receive every service;
// gRPC clients only the listeners they dialled.
func Watches(p api.Proxy, service string) bool {
	if p.Kind == Envoy.String() {
		return true
	}
	for _, t := range p.Types {
		if t.Type == TypeListener {
			return slices.Contains(t.Subscribed, service)
		}
	}
	return false
}

// RouteConfigName is the RDS resource that carries service's routes for a client kind.
func RouteConfigName(kind, service string) string {
	if kind == Envoy.String() {
		return EnvoyRouteConfigName
	}
	return service
}

func proxyType(p api.Proxy, typ string) *api.ProxyType {
	for i := range p.Types {
		if p.Types[i].Type == typ {
			return &p.Types[i]
		}
	}
	return nil
}

// ackedAtLeast reports whether p ACKed type typ at version >= min with name among the
// resources of the ACKed response.
func ackedAtLeast(p api.Proxy, typ string, min uint64, name string) bool {
	t := proxyType(p, typ)
	return t != nil && t.Acked >= min && slices.Contains(t.AckedNames, name)
}

func rejectedAtLeast(p api.Proxy, typ string, min uint64) *api.Nack {
	t := proxyType(p, typ)
	if t == nil || t.LastNack == nil || t.LastNack.Version < min {
		return nil
	}
	return t.LastNack
}

func proxyName(p api.Proxy) string { return p.NodeID + "@" + p.Server }

// RouteCoverage counts the proxies routing service that ACKed its route configuration at
// version >= minRoutes (the replicated index of the route change).
func RouteCoverage(proxies []api.Proxy, service string, minRoutes uint64) Coverage {
	var c Coverage
	for _, p := range proxies {
		if !Watches(p, service) {
			continue
		}
		c.Watching++
		switch {
		case ackedAtLeast(p, TypeRoute, minRoutes, RouteConfigName(p.Kind, service)):
			c.Acked++
		case rejectedAtLeast(p, TypeRoute, minRoutes) != nil:
			c.Rejected = append(c.Rejected, *rejectedAtLeast(p, TypeRoute, minRoutes))
			c.RejectedBy = append(c.RejectedBy, proxyName(p))
		default:
			c.Pending = append(c.Pending, proxyName(p))
		}
	}
	return c
}

// ClusterCoverage counts the proxies routing the service that hold version v's cluster and
// its endpoints at version >= min (the index at which the version was registered or last
// changed): make-before-break waits for it before a route sends v traffic.
func ClusterCoverage(proxies []api.Proxy, service string, v router.Version, min uint64) Coverage {
	name := router.ClusterName(service, v)
	var c Coverage
	for _, p := range proxies {
		if !Watches(p, service) {
			continue
		}
		c.Watching++
		needEDS := p.Kind == GRPC.String()
		if t := proxyType(p, TypeEndpoint); t != nil && slices.Contains(t.Subscribed, name) {
			needEDS = true
		}
		ok := ackedAtLeast(p, TypeCluster, min, name) && (!needEDS || ackedAtLeast(p, TypeEndpoint, min, name))
		if ok {
			c.Acked++
			continue
		}
		if n := rejectedAtLeast(p, TypeCluster, min); n != nil {
			c.Rejected = append(c.Rejected, *n)
			c.RejectedBy = append(c.RejectedBy, proxyName(p))
			continue
		}
		if n := rejectedAtLeast(p, TypeEndpoint, min); n != nil {
			c.Rejected = append(c.Rejected, *n)
			c.RejectedBy = append(c.RejectedBy, proxyName(p))
			continue
		}
		c.Pending = append(c.Pending, proxyName(p))
	}
	return c
}
