package router

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MaxServiceNameLength bounds service names; they appear in xDS resource names, PromQL label
// values and Envoy virtual host domains.
const MaxServiceNameLength = 63

// ValidateServiceName checks that name is what proxies can dial (xds:///NAME) and Envoy can
// match as a domain: lower-case letters, digits and '-', starting with a letter, ending with
// a letter or digit, at most 63 characters (a DNS label).
func ValidateServiceName(name string) error {
	if name == "" {
		return fmt.Errorf("service name is empty")
	}
	if len(name) > MaxServiceNameLength {
		return fmt.Errorf("service name %q is %d characters long; at most %d are allowed", name, len(name), MaxServiceNameLength)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && i > 0 || r == '-' && i > 0 && i < len(name)-1
		if !ok {
			return fmt.Errorf("service name %q: character %q at position %d is not allowed; use lower-case letters, digits and '-' (a DNS label starting with a letter)", name, r, i+1)
		}
	}
	return nil
}

// Locality places a backend in a region/zone/sub-zone, as Envoy's core.Locality.
type Locality struct {
	Region  string `json:"region,omitempty"`
	Zone    string `json:"zone,omitempty"`
	SubZone string `json:"sub_zone,omitempty"`
}

// IsZero reports whether no field is set.
func (l Locality) IsZero() bool { return l == Locality{} }

func (l Locality) String() string {
	return strings.Join([]string{l.Region, l.Zone, l.SubZone}, "/")
}

// Backend is one model-server endpoint of a version.
type Backend struct {
	// Address is host:port; the host is an IP address or a DNS name, the port 1-65535.
	Address string `json:"address"`
	// Locality is optional; backends of one version may span localities.
	Locality Locality `json:"locality,omitzero"`
}

// HostPort splits Address. It assumes the backend has been validated.
func (b Backend) HostPort() (string, uint32) {
	host, port, _ := net.SplitHostPort(b.Address)
	p, _ := strconv.ParseUint(port, 10, 16)
	return host, uint32(p)
}

// ValidateBackend checks the address is host:port with a usable host and port.
func ValidateBackend(b Backend) error {
	host, port, err := net.SplitHostPort(b.Address)
	if err != nil {
		return fmt.Errorf("address %q is not host:port: %w", b.Address, err)
	}
	if host == "" {
		return fmt.Errorf("address %q has no host", b.Address)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return fmt.Errorf("address %q: port %q is not a number in 1-65535", b.Address, port)
	}
	if net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("address %q: host %q is neither an IP address nor a DNS name", b.Address, host)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// ModelVersion is one deployed version of a service's model and where it runs.
type ModelVersion struct {
	Service  string    `json:"service"`
	Version  Version   `json:"version"`
	Backends []Backend `json:"backends"`
}

// ClusterName is the xDS cluster (and endpoint assignment) name of a service version. It is
// stable: proxies, metrics and ledgers key on it.
func ClusterName(service string, v Version) string {
	return service + "@" + v.String()
}

// LBPolicy is the load-balancing policy between a version's backends.
type LBPolicy string

const (
	// RoundRobin is the default and is understood by every client.
	RoundRobin LBPolicy = "round_robin"
	// LeastRequest is understood by Envoy and gRPC.
	LeastRequest LBPolicy = "least_request"
	// RingHash is understood by Envoy and gRPC.
	RingHash LBPolicy = "ring_hash"
	// Maglev is understood by Envoy only: proxyless gRPC clients reject (NACK) it.
	Maglev LBPolicy = "maglev"
)

// LBPolicies lists the valid policies.
var LBPolicies = []LBPolicy{RoundRobin, LeastRequest, RingHash, Maglev}

// ValidateLBPolicy accepts "" (meaning round_robin) and the LBPolicies.
func ValidateLBPolicy(p LBPolicy) error {
	if p == "" {
		return nil
	}
	for _, ok := range LBPolicies {
		if p == ok {
			return nil
		}
	}
	return fmt.Errorf("lb_policy %q is unknown: want one of round_robin, least_request, ring_hash, maglev", p)
}

// Protocol is what a service's backends speak; Envoy needs it to pick the upstream codec.
// Proxyless gRPC clients always speak gRPC.
type Protocol string

const (
	// ProtocolGRPC backends speak gRPC (HTTP/2); the default.
	ProtocolGRPC Protocol = "grpc"
	// ProtocolHTTP backends speak HTTP/1.1 (for example REST inference).
	ProtocolHTTP Protocol = "http"
)

// Service is the name proxies dial and its service-wide settings.
type Service struct {
	Name string `json:"name"`
	// LBPolicy applies to every version's cluster; empty means round_robin.
	LBPolicy LBPolicy `json:"lb_policy,omitempty"`
	// Protocol of the backends; empty means grpc.
	Protocol Protocol `json:"protocol,omitempty"`
}

// EffectiveProtocol returns Protocol with the default applied.
func (s Service) EffectiveProtocol() Protocol {
	if s.Protocol == "" {
		return ProtocolGRPC
	}
	return s.Protocol
}

// Validate checks the service's name and settings.
func (s Service) Validate() error {
	if err := ValidateServiceName(s.Name); err != nil {
		return err
	}
	if err := ValidateLBPolicy(s.LBPolicy); err != nil {
		return fmt.Errorf("service %q: %w", s.Name, err)
	}
	switch s.Protocol {
	case "", ProtocolGRPC, ProtocolHTTP:
	default:
		return fmt.Errorf("service %q: protocol %q is unknown: want grpc or http", s.Name, s.Protocol)
	}
	return nil
}
