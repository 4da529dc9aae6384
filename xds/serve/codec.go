package serve

import (
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// encodedResponse is a DiscoveryResponse already in wire form: the body every stream that
// gets the payload shares (version, resources, type URL), and this stream's nonce field.
// Protobuf lets a field follow the others, so body+nonce decodes as the full message.
type encodedResponse struct {
	body  []byte
	nonce []byte
}

// nonceField is the wire form of DiscoveryResponse.nonce.
func nonceField(nonce string) []byte {
	const nonceNumber = 5 // envoy.service.discovery.v3.DiscoveryResponse.nonce
	b := protowire.AppendTag(make([]byte, 0, 2+len(nonce)), nonceNumber, protowire.BytesType)
	return protowire.AppendString(b, nonce)
}

// encodedBody returns the payload's response body for version and typeURL, marshalled on
// first use and shared by every stream after that.
func (p *sotwPayload) encodedBody(version, typeURL string) ([]byte, error) {
	p.encodeOnce.Do(func() {
		p.encoded, p.encodeErr = proto.MarshalOptions{Deterministic: true}.Marshal(
			&discovery.DiscoveryResponse{VersionInfo: version, Resources: p.resources, TypeUrl: typeURL})
	})
	return p.encoded, p.encodeErr
}

// wireCodec is the xDS gRPC server's codec: the standard protobuf codec, except that an
// encodedResponse is written as is. It is what lets 10,000 streams share one marshalled
// response.
type wireCodec struct{ encoding.CodecV2 }

func newWireCodec() wireCodec {
	return wireCodec{encoding.GetCodecV2(protocodec.Name)}
}

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*encodedResponse); ok {
		return mem.BufferSlice{mem.SliceBuffer(r.body), mem.SliceBuffer(r.nonce)}, nil
	}
	return c.CodecV2.Marshal(v)
}
