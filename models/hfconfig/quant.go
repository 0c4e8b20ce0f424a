package hfconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// QuantizationConfig is the "quantization_config" the quantizer writes into
// config.json. The method goes under transformers' "quant_method" key, so
// transformers refuses the int8 checkpoint instead of misreading it.
type QuantizationConfig struct {
	Method     string   // "edge-int8" or "edge-int4"
	Bits       int      // 8, or 4 for edge-int4
	Scheme     string   // "symmetric-per-channel", or "symmetric-per-group" for edge-int4
	WeightOnly []string // module prefixes quantized weight-only (int8 weights, float activations)
	W8A8       []string // module prefixes with int8 weights and int8 activations
	// GroupSize is edge-int4's group of inputs per fp16 scale; its int4 weights are
	// the U8 tensors (packed nibbles), the rest int8 as in edge-int8.
	GroupSize int
}

// Known values of the quantization fields.
const (
	MethodEdgeInt8       = "edge-int8"
	MethodEdgeInt4       = "edge-int4"
	SchemeSymmetricChan  = "symmetric-per-channel"
	SchemeSymmetricGroup = "symmetric-per-group"
)

type quantJSON struct {
	Method     string   `json:"quant_method"`
	Bits       int      `json:"bits"`
	Scheme     string   `json:"scheme"`
	WeightOnly []string `json:"weight_only"`
	W8A8       []string `json:"w8a8"`
	GroupSize  int      `json:"group_size,omitempty"`
}

// MarshalJSON writes the snake_case form; empty prefix lists as [].
func (q QuantizationConfig) MarshalJSON() ([]byte, error) {
	j := quantJSON(q)
	if j.WeightOnly == nil {
		j.WeightOnly = []string{}
	}
	if j.W8A8 == nil {
		j.W8A8 = []string{}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes; unknown keys are errors,
// as a quantized checkpoint must not be half-understood.
func (q *QuantizationConfig) UnmarshalJSON(b []byte) error {
	var j quantJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("quantization_config: %w", err)
	}
	*q = QuantizationConfig(j)
	return nil
}

// WithQuantization returns configJSON with "quantization_config" set to q and
// every other field kept as it was (keys sorted and indented by two spaces,
// as transformers writes config.json).
func WithQuantization(configJSON []byte, q QuantizationConfig) ([]byte, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(configJSON, &fields); err != nil {
		return nil, fmt.Errorf("%s: %w", configFile, err)
	}
	if fields == nil {
		return nil, fmt.Errorf("%s: not a JSON object", configFile)
	}
	qj, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	fields["quantization_config"] = qj
	out, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func (q QuantizationConfig) validate() error {
	bits, scheme := 8, SchemeSymmetricChan
	switch q.Method {
	case MethodEdgeInt8:
		if q.GroupSize != 0 {
			return fmt.Errorf("quantization_config.group_size %d given for %s (only %s has groups)", q.GroupSize, MethodEdgeInt8, MethodEdgeInt4)
		}
	case MethodEdgeInt4:
		bits, scheme = 4, SchemeSymmetricGroup
		if q.GroupSize <= 0 || q.GroupSize%32 != 0 {
			return fmt.Errorf("quantization_config.group_size %d is not a positive multiple of 32", q.GroupSize)
		}
	default:
		return fmt.Errorf("quantization_config.quant_method %q not supported (want %s or %s)", q.Method, MethodEdgeInt8, MethodEdgeInt4)
	}
	if q.Bits != bits {
		return fmt.Errorf("quantization_config.bits %d not supported for %s (want %d)", q.Bits, q.Method, bits)
	}
	if q.Scheme != scheme {
		return fmt.Errorf("quantization_config.scheme %q not supported for %s (want %s)", q.Scheme, q.Method, scheme)
	}
	for _, p := range append(append([]string(nil), q.WeightOnly...), q.W8A8...) {
		if p == "" {
			return fmt.Errorf("quantization_config: empty module prefix")
		}
	}
	return nil
}
