package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/seed70a3350f/vigil/internal/oip"
)

// BenchmarkRESTInfer measures one single-case REST inference over loopback HTTP/1.1 with
// a kept-alive connection: client encoding, server decoding, validation, prediction,
// metrics and response encoding.
func BenchmarkRESTInfer(b *testing.B) {
	s := startServer(b, versionCandidate, Faults{})
	req, err := oip.NewInferenceRequest("", [][]float64{goldenCases(b)[0].Features})
	if err != nil {
		b.Fatal(err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	url := inferURL(s)
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkGRPCInfer measures one single-case gRPC ModelInfer over loopback.
func BenchmarkGRPCInfer(b *testing.B) {
	s := startServer(b, versionCandidate, Faults{})
	client := grpcClient(b, s)
	req, err := oip.NewModelInferRequest(service, "", "", [][]float64{goldenCases(b)[0].Features})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.ModelInfer(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
