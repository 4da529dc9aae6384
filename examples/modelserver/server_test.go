package modelserver

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "no model file", opts: Options{RESTAddr: ":0", GRPCAddr: ":0"}, wantErr: "ModelFile is required"},
		{name: "no addresses", opts: Options{ModelFile: modelFile(versionProd)}, wantErr: "both required"},
		{name: "missing file", opts: Options{ModelFile: "../models/absent.json", RESTAddr: ":0", GRPCAddr: ":0"}, wantErr: "absent.json"},
		{name: "wrong service", opts: Options{ModelFile: modelFile(versionProd), ServiceName: "chest-xray", RESTAddr: ":0", GRPCAddr: ":0"}, wantErr: `belongs to service "breast-cancer-dx", not "chest-xray"`},
		{name: "bad faults", opts: Options{ModelFile: modelFile(versionProd), RESTAddr: ":0", GRPCAddr: ":0", Faults: Faults{ErrorRate: -1}}, wantErr: "error_rate -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestStartFailsOnABusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s, err := New(Options{ModelFile: modelFile(versionProd), RESTAddr: "127.0.0.1:0", GRPCAddr: busy.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "listen for gRPC") {
		t.Errorf("Start error %v, want a gRPC listen error", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after a failed Start: %v", err)
	}
}

// TestCancellingTheStartContextStopsTheServer checks the server stops serving when its
// context ends, and that Close then returns promptly.
func TestCancellingTheStartContextStopsTheServer(t *testing.T) {
	s, err := New(Options{ModelFile: modelFile(versionProd), RESTAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil || !strings.Contains(err.Error(), "already started") {
		t.Errorf("second Start error %v, want already started", err)
	}
	addr := s.RESTAddr()
	cancel()
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("REST port %s still accepts connections after the context ended", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if s.ready.Load() {
		t.Error("server still reports ready after stopping")
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start after Close succeeded")
	}
}
