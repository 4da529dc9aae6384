package serve

import (
	"testing"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// TestEncodedResponseDecodesAsTheMessage checks that a shared body plus a per-stream nonce,
// as the codec writes them, decode to the DiscoveryResponse a plain marshal would send,
// and that other messages still go through the protobuf codec.
func TestEncodedResponseDecodesAsTheMessage(t *testing.T) {
	p := &sotwPayload{resources: []*anypb.Any{
		{TypeUrl: resourcev3.RouteType, Value: []byte("route-a")},
		{TypeUrl: resourcev3.RouteType, Value: []byte("route-b")},
	}}
	body, err := p.encodedBody("42", resourcev3.RouteType)
	if err != nil {
		t.Fatal(err)
	}
	codec := newWireCodec()
	for _, nonce := range []string{"1", "1234567890123"} {
		wire, err := codec.Marshal(&encodedResponse{body: body, nonce: nonceField(nonce)})
		if err != nil {
			t.Fatal(err)
		}
		var got discovery.DiscoveryResponse
		if err := proto.Unmarshal(wire.Materialize(), &got); err != nil {
			t.Fatalf("nonce %q: %v", nonce, err)
		}
		want := &discovery.DiscoveryResponse{VersionInfo: "42", Resources: p.resources, TypeUrl: resourcev3.RouteType, Nonce: nonce}
		if !proto.Equal(&got, want) {
			t.Fatalf("nonce %q: decoded %v, want %v", nonce, &got, want)
		}
	}
	again, _ := p.encodedBody("42", resourcev3.RouteType)
	if &again[0] != &body[0] {
		t.Fatal("the payload was marshalled twice; want one body shared by every stream")
	}
	req := &discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResponseNonce: "7"}
	wire, err := codec.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var back discovery.DiscoveryRequest
	if err := codec.Unmarshal(wire, &back); err != nil || !proto.Equal(&back, req) {
		t.Fatalf("a plain message through the codec came back as %v (%v), want %v", &back, err, req)
	}
}
