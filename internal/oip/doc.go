// Package oip holds Vigil's Open Inference Protocol (KServe v2) wire types: the gRPC
// messages and service generated from grpc_predict_v2.proto, Go structs for the REST JSON
// bodies, raw tensor encodings, and helpers that build a request from feature vectors and
// read probabilities and labels from a response. The demo model servers, the load generator
// and clinical validation runs share these helpers so they agree on tensor names, data types
// and shapes.
//
// Conventions of Vigil's demo models on top of the protocol: one input tensor named
// "features" of shape [N, 30] (FP64 or FP32), outputs "probability" (FP32, shape [N]) and
// "label" (BYTES, shape [N], "malignant" or "benign"). A ground-truth label for feedback
// metrics travels in gRPC metadata or the HTTP header x-vigil-label, or in the request
// parameter "label"; servers name the model version that answered, also on errors, in the
// x-vigil-model-version header.
package oip
