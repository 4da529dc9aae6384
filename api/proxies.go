package api

import "time"

// Proxy is one connected xDS stream as the server that holds it sees it: who the client is,
// what it subscribed to, and per resource type the version it was sent, the version it
// ACKed and its last NACK.
type Proxy struct {
	// Server is the id of the xds-server node holding the stream.
	Server string `json:"server"`
	// Stream identifies the stream on that server, e.g. "ads-12" (state of the world over
	// ADS), "delta-3" or "sotw-7" (a per-type LDS/RDS/CDS/EDS stream).
	Stream      string      `json:"stream"`
	NodeID      string      `json:"node_id"`
	Cluster     string      `json:"cluster,omitempty"`
	UserAgent   string      `json:"user_agent,omitempty"`
	Kind        string      `json:"kind"` // envoy | grpc
	Delta       bool        `json:"delta"`
	Peer        string      `json:"peer,omitempty"`
	ConnectedAt time.Time   `json:"connected_at"`
	Types       []ProxyType `json:"types"`
}

// ProxyType is the state of one resource type on one stream. Versions are the replicated
// state's index for that type (0: none yet).
type ProxyType struct {
	Type       string    `json:"type"` // Listener, RouteConfiguration, Cluster, ClusterLoadAssignment
	Wildcard   bool      `json:"wildcard,omitempty"`
	Subscribed []string  `json:"subscribed,omitempty"`
	Sent       uint64    `json:"sent_version"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	Acked      uint64    `json:"acked_version"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	// AckedNames are the resources of the ACKed response.
	AckedNames []string `json:"acked_names,omitempty"`
	Nacks      uint64   `json:"nacks"`
	LastNack   *Nack    `json:"last_nack,omitempty"`
}

// Nack is a rejected response: its version, the client's error and when.
type Nack struct {
	Version uint64    `json:"version"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// ProxyList is the answer of GET /v1/proxies: the proxies of every reachable server, and
// the servers that could not be asked.
type ProxyList struct {
	Proxies     []Proxy           `json:"proxies"`
	Unreachable map[string]string `json:"unreachable,omitempty"` // server id -> error
}
