package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/examples/modelserver"
)

func TestRunReportsCountsPerVersion(t *testing.T) {
	s, err := modelserver.New(modelserver.Options{ModelFile: "../../../models/1.1.0-CLINICALVALID.json", RESTAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("close model server: %v", err)
		}
	}()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"-target", s.GRPCAddr(), "-cases", "../../../data/golden.jsonl",
		"-rate", "200", "-requests", "12", "-timeout", "10s", "-report-every", "0",
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	if want := "sent=12 completed=12 [1.1.0-CLINICALVALID ok=12]"; strings.TrimSpace(stdout.String()) != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no target", args: nil, wantCode: 2, wantErr: "-target is required"},
		{name: "bad metadata", args: []string{"-target", "x:1", "-metadata", "novalue"}, wantCode: 2, wantErr: `metadata "novalue": want key=value`},
		{name: "negative duration", args: []string{"-target", "x:1", "-duration", "-1s"}, wantCode: 2, wantErr: "must not be negative"},
		{name: "missing cases", args: []string{"-target", "x:1", "-cases", "absent.jsonl"}, wantCode: 1, wantErr: "absent.jsonl"},
		{name: "zero rate", args: []string{"-target", "x:1", "-cases", "../../../data/golden.jsonl", "-rate", "0"}, wantCode: 1, wantErr: "Rate 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}
