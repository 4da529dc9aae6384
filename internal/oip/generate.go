package oip

// The generated files grpc_predict_v2.pb.go and grpc_predict_v2_grpc.pb.go are committed.
// Regenerating needs protoc (Debian: protobuf-compiler), protoc-gen-go v1.36.12 and
// protoc-gen-go-grpc v1.5.1 on PATH; see README.md.
//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative grpc_predict_v2.proto
