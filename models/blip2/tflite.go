package blip2

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgevlm/edge/runtime/tflite"
)

// Names of the exported image path's input and output, in its SignatureDef and tensors.
const (
	TFLiteInput  = "pixel_values" // [1, channels, image_size, image_size] float32
	TFLiteOutput = "prefix"       // [1, num_query_tokens, lm_embed] float32
)

// TFLiteOptions say how to export the image path.
type TFLiteOptions struct {
	// Int8 stores the linear layers that --int8 quantizes (BLIP-2's int8 plan: the
	// vision encoder, Q-Former and projection) as int8 weights with per-channel scales
	// and float activations (dynamic-range quantization, TFLite's hybrid kernels).
	Int8 bool
}

// ExportTFLite writes the image path of the checkpoint folder dir (patch embedding,
// ViT, Q-Former, projection) as a .tflite flatbuffer: the model's own forward pass runs
// against tflite.Recorder, which appends an operator for each operation.
func ExportTFLite(ctx context.Context, dir string, opts TFLiteOptions) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	rec := tflite.NewRecorder(opts.Int8)
	m, err := Load(dir, Options{Backend: rec, Int8: opts.Int8, ImagePathOnly: true})
	if err != nil {
		return nil, fmt.Errorf("tflite export: %w", err)
	}
	defer m.Close()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	v := m.Config.Vision
	pixels := rec.Input(TFLiteInput, 1, v.NumChannels, v.ImageSize, v.ImageSize)
	image, err := m.Vision.Forward(rec, pixels.Reshape(v.NumChannels, v.ImageSize, v.ImageSize))
	if err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	prefix := rec.Linear(m.QFormer.Forward(rec, image), m.Projection)
	kind := "fp32"
	if opts.Int8 {
		kind = "int8 dynamic-range"
	}
	desc := fmt.Sprintf("edge: BLIP-2 image path (vision, Q-Former, projection) of %s, %s weights", filepath.Base(filepath.Clean(dir)), kind)
	out, err := rec.Serialize(prefix, TFLiteOutput, []int{1, m.Config.NumQueryTokens, prefix.Cols()}, desc)
	if err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	return out, nil
}

// WriteTFLite exports dir to path through a temporary file renamed into place, so path
// is never left half-written.
func WriteTFLite(ctx context.Context, dir, path string, opts TFLiteOptions) error {
	data, err := ExportTFLite(ctx, dir, opts)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("tflite export: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("tflite export: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tflite export: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tflite export: %w", err)
	}
	return nil
}
