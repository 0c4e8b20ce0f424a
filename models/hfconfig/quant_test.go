package hfconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var testQuant = QuantizationConfig{
	Method: MethodEdgeInt8, Bits: 8, Scheme: SchemeSymmetricChan,
	WeightOnly: []string{"language_model."},
	W8A8:       []string{"vision_model.", "qformer."},
}

func TestQuantizationJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(testQuant)
	require.NoError(t, err)
	require.JSONEq(t, `{"quant_method":"edge-int8","bits":8,"scheme":"symmetric-per-channel",
		"weight_only":["language_model."],"w8a8":["vision_model.","qformer."]}`, string(b))
	var back QuantizationConfig
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, testQuant, back)

	err = json.Unmarshal([]byte(`{"quant_method":"edge-int8","bits":8,"zero_point":true}`), &back)
	require.ErrorContains(t, err, `quantization_config: json: unknown field "zero_point"`)

	q4 := testQuant
	q4.Method, q4.Bits, q4.Scheme, q4.GroupSize = MethodEdgeInt4, 4, SchemeSymmetricGroup, 64
	out, err := WithQuantization([]byte(`{}`), q4)
	require.NoError(t, err)
	require.Contains(t, string(out), `"group_size": 64`)
	var fields struct {
		Q QuantizationConfig `json:"quantization_config"`
	}
	require.NoError(t, json.Unmarshal(out, &fields))
	require.Equal(t, q4, fields.Q)
}

func TestWithQuantization(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(shapesDir, "config.json"))
	require.NoError(t, err)
	out, err := WithQuantization(orig, testQuant)
	require.NoError(t, err)

	c, err := Parse(out, nil)
	require.NoError(t, err)
	require.Equal(t, &testQuant, c.Quantization)
	before, err := Parse(orig, nil)
	require.NoError(t, err)
	c.Quantization = nil
	require.Equal(t, before, c)

	// Every other field is kept, value for value.
	var a, b map[string]any
	require.NoError(t, json.Unmarshal(orig, &a))
	require.NoError(t, json.Unmarshal(out, &b))
	delete(b, "quantization_config")
	require.Equal(t, a, b)

	// Setting it again replaces it.
	q2 := testQuant
	q2.W8A8 = nil
	out2, err := WithQuantization(out, q2)
	require.NoError(t, err)
	c2, err := Parse(out2, nil)
	require.NoError(t, err)
	require.Empty(t, c2.Quantization.W8A8)
}

func TestWithQuantizationRejects(t *testing.T) {
	bad := testQuant
	bad.Bits = 4
	_, err := WithQuantization([]byte(`{}`), bad)
	require.EqualError(t, err, "quantization_config.bits 4 not supported for edge-int8 (want 8)")
	bad = testQuant
	bad.Method, bad.Bits, bad.Scheme, bad.GroupSize = MethodEdgeInt4, 4, SchemeSymmetricGroup, 48
	_, err = WithQuantization([]byte(`{}`), bad)
	require.EqualError(t, err, "quantization_config.group_size 48 is not a positive multiple of 32")
	bad.GroupSize = 0
	_, err = WithQuantization([]byte(`{}`), bad)
	require.ErrorContains(t, err, "group_size 0")
	_, err = WithQuantization([]byte(`[1]`), testQuant)
	require.ErrorContains(t, err, "config.json: ")
	_, err = WithQuantization([]byte(`null`), testQuant)
	require.EqualError(t, err, "config.json: not a JSON object")

	_, err = Parse([]byte(`{"quantization_config": {"quant_method": "gptq", "bits": 4, "scheme": "x"}}`), nil)
	require.ErrorContains(t, err, `config.json: quantization_config.quant_method "gptq" not supported (want edge-int8 or edge-int4)`)
}
