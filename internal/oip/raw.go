package oip

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DecodeRawFloats decodes raw tensor contents of datatype FP32 or FP64 (little-endian,
// row-major, no padding) into float64 values. A length that is not a whole number of
// elements, or another datatype, is an error.
func DecodeRawFloats(datatype Datatype, raw []byte) ([]float64, error) {
	switch datatype {
	case FP32:
		if len(raw)%4 != 0 {
			return nil, fmt.Errorf("raw FP32 contents of %d bytes: want a multiple of 4", len(raw))
		}
		out := make([]float64, len(raw)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		return out, nil
	case FP64:
		if len(raw)%8 != 0 {
			return nil, fmt.Errorf("raw FP64 contents of %d bytes: want a multiple of 8", len(raw))
		}
		out := make([]float64, len(raw)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		return out, nil
	default:
		return nil, fmt.Errorf("raw contents of datatype %q: want FP32 or FP64", datatype)
	}
}

// EncodeRawFP32 encodes values as raw FP32 contents.
func EncodeRawFP32(values []float32) []byte {
	out := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

// EncodeRawFP64 encodes values as raw FP64 contents.
func EncodeRawFP64(values []float64) []byte {
	out := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(v))
	}
	return out
}

// EncodeRawBytes encodes BYTES elements as raw contents: each element is a 4-byte
// little-endian length followed by its bytes.
func EncodeRawBytes(values [][]byte) []byte {
	size := 0
	for _, v := range values {
		size += 4 + len(v)
	}
	out := make([]byte, 0, size)
	for _, v := range values {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	return out
}

// DecodeRawBytes decodes raw BYTES contents; a truncated element is an error naming it.
func DecodeRawBytes(raw []byte) ([][]byte, error) {
	var out [][]byte
	for offset := 0; offset < len(raw); {
		if len(raw)-offset < 4 {
			return nil, fmt.Errorf("raw BYTES element %d: %d bytes left, want a 4-byte length", len(out), len(raw)-offset)
		}
		n := int(binary.LittleEndian.Uint32(raw[offset:]))
		offset += 4
		if n > len(raw)-offset {
			return nil, fmt.Errorf("raw BYTES element %d: length %d but only %d bytes left", len(out), n, len(raw)-offset)
		}
		out = append(out, raw[offset:offset+n])
		offset += n
	}
	return out, nil
}
