package oip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// TensorData is the JSON "data" member of a REST tensor: its elements either flattened in
// row-major order or nested by dimension (both are allowed by the protocol). It keeps the
// JSON text and decodes it on demand with Floats or Strings, so the decoder can be chosen
// by the tensor's datatype and errors can name the element.
type TensorData json.RawMessage

// FloatData encodes numbers as a flat JSON array. Non-finite values cannot be encoded in
// JSON and make MarshalJSON fail.
func FloatData(values []float64) (TensorData, error) {
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encode tensor data: %w", err)
	}
	return TensorData(b), nil
}

// StringData encodes strings as a flat JSON array.
func StringData(values []string) (TensorData, error) {
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encode tensor data: %w", err)
	}
	return TensorData(b), nil
}

// MarshalJSON returns the JSON text; empty data encodes as null.
func (d TensorData) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("null"), nil
	}
	return d, nil
}

// UnmarshalJSON keeps a copy of the JSON text.
func (d *TensorData) UnmarshalJSON(b []byte) error {
	*d = append((*d)[:0], b...)
	return nil
}

// errNoData marks a missing or null data member.
var errNoData = errors.New("no data: want a JSON array of tensor elements")

// Floats returns the elements as numbers in row-major order. Nested arrays are flattened;
// a non-number element (null included) is an error that gives its flat index.
func (d TensorData) Floats() ([]float64, error) {
	if isNull(d) {
		return nil, errNoData
	}
	// Fast path for a flat array of numbers. Decoding null into a float64 would silently
	// leave a zero, so any text that may hold a null (the only JSON token with an 'n' that
	// can appear outside a string here) takes the checked path.
	if bytes.IndexByte(d, 'n') < 0 {
		var flat []float64
		if err := json.Unmarshal(d, &flat); err == nil {
			return flat, nil
		}
	}
	var out []float64
	err := flatten(d, func(i int, v any) error {
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("element %d: %s, want a number", i, describe(v))
		}
		out = append(out, f)
		return nil
	})
	return out, err
}

// Strings returns the elements as strings in row-major order. Nested arrays are flattened;
// a non-string element (null included) is an error that gives its flat index.
func (d TensorData) Strings() ([]string, error) {
	if isNull(d) {
		return nil, errNoData
	}
	var out []string
	err := flatten(d, func(i int, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("element %d: %s, want a string", i, describe(v))
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func isNull(d TensorData) bool {
	trimmed := bytes.TrimSpace(d)
	return len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null"))
}

// flatten walks a JSON array of arbitrary nesting and calls leaf for each non-array element
// in row-major order.
func flatten(d TensorData, leaf func(index int, v any) error) error {
	var root any
	if err := json.Unmarshal(d, &root); err != nil {
		return fmt.Errorf("tensor data is not valid JSON: %w", err)
	}
	if _, ok := root.([]any); !ok {
		return fmt.Errorf("tensor data is %s, want a JSON array", describe(root))
	}
	index := 0
	var walk func(v any) error
	walk = func(v any) error {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				if err := walk(e); err != nil {
					return err
				}
			}
			return nil
		}
		if err := leaf(index, v); err != nil {
			return err
		}
		index++
		return nil
	}
	return walk(root)
}

// describe names a decoded JSON value for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case float64:
		return fmt.Sprintf("number %v", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "an array"
	default:
		return "an object"
	}
}
