package tflite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/runtime/tflite"
)

// The export is the models/blip2 forward pass recorded by Recorder; these tests read
// the files it writes.

// Options and the functions below name the export as these tests always called it.
type Options = blip2.TFLiteOptions

var (
	Export     = blip2.ExportTFLite
	WriteFile  = blip2.WriteTFLite
	InputName  = blip2.TFLiteInput
	OutputName = blip2.TFLiteOutput
)

const testdata = "../../testdata"

var models = []struct{ name, dir string }{
	{"shapes", "../../models/shapes/blip2-shapes-opt"},
	{"tiny-opt", filepath.Join(testdata, "tiny-opt/model")},
	{"tiny-t5", filepath.Join(testdata, "tiny-t5/model")},
}

// TestExportStructure exports each model in fp32 and int8 and reads the files back:
// the signature, the input and output shapes, the operators a config implies, and
// where the weight bytes went.
func TestExportStructure(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			cfg, err := hfconfig.Load(m.dir)
			require.NoError(t, err)
			v, q := cfg.Vision, cfg.QFormer
			cross := 0
			for i := 0; i < q.NumHiddenLayers; i++ {
				if i%max(q.CrossAttentionFrequency, 1) == 0 {
					cross++
				}
			}
			attentions := v.NumHiddenLayers + q.NumHiddenLayers + cross
			// Linear layers: q, k, v, output and two MLP layers per ViT layer; q, k, v,
			// dense per Q-Former attention and two feed-forward layers; the projection.
			linears := 6*v.NumHiddenLayers + 4*(q.NumHiddenLayers+cross) + 2*q.NumHiddenLayers + 1
			norms := 2*v.NumHiddenLayers + 1 + 1 + q.NumHiddenLayers + cross + q.NumHiddenLayers

			var sizes [2]int
			for i, int8 := range []bool{false, true} {
				data, err := Export(context.Background(), m.dir, Options{Int8: int8})
				require.NoError(t, err)
				sizes[i] = len(data)
				info, err := tflite.Verify(data)
				require.NoError(t, err)
				require.EqualValues(t, tflite.SchemaVersion, info.Version)
				require.Equal(t, []tflite.TensorInfo{{Name: InputName, Shape: []int{1, v.NumChannels, v.ImageSize, v.ImageSize}}}, info.Inputs)
				require.Len(t, info.Outputs, 1)
				require.Equal(t, OutputName, info.Outputs[0].Name)
				require.Equal(t, 1, info.Outputs[0].Shape[0])
				require.Equal(t, cfg.NumQueryTokens, info.Outputs[0].Shape[1])
				require.Equal(t, map[string]string{InputName: InputName, OutputName: OutputName}, info.Signature)

				require.Equal(t, linears, info.OpCounts[tflite.OpFullyConnect], "FULLY_CONNECTED")
				require.Equal(t, 2*attentions, info.OpCounts[tflite.OpBatchMatMul], "BATCH_MATMUL")
				require.Equal(t, attentions, info.OpCounts[tflite.OpSoftmax], "SOFTMAX")
				require.Equal(t, norms, info.OpCounts[tflite.OpRsqrt], "RSQRT (one per layer norm)")
				require.Equal(t, 2*norms, info.OpCounts[tflite.OpMean], "MEAN")
				require.Equal(t, v.NumHiddenLayers+q.NumHiddenLayers, info.OpCounts[tflite.OpGelu], "GELU")
				require.Equal(t, 1, info.OpCounts[tflite.OpConv2D], "CONV_2D")
				if int8 {
					require.Positive(t, info.ConstantBytes[tflite.TypeInt8])
					require.Contains(t, info.Description, "int8")
				} else {
					require.Zero(t, info.ConstantBytes[tflite.TypeInt8])
				}
			}
			t.Logf("%s: fp32 %d bytes, int8 %d bytes", m.name, sizes[0], sizes[1])
			require.Less(t, sizes[1], sizes[0], "the int8 file is smaller")
		})
	}
}

// TestExportIsDeterministic: the same checkpoint gives the same bytes, run after run.
func TestExportIsDeterministic(t *testing.T) {
	for _, int8 := range []bool{false, true} {
		a, err := Export(context.Background(), models[1].dir, Options{Int8: int8})
		require.NoError(t, err)
		b, err := Export(context.Background(), models[1].dir, Options{Int8: int8})
		require.NoError(t, err)
		require.Equal(t, a, b, "int8=%v", int8)
	}
}

func TestExportErrors(t *testing.T) {
	_, err := Export(context.Background(), filepath.Join(t.TempDir(), "none"), Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "none")

	// A config that asks for tensors the checkpoint lacks names what is missing.
	dir := t.TempDir()
	src := filepath.Join(testdata, "tiny-opt/model")
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	// More Q-Former layers than the checkpoint holds.
	require.Contains(t, string(cfg), `"num_hidden_layers": 3,`)
	more := strings.Replace(string(cfg), `"num_hidden_layers": 3,`, `"num_hidden_layers": 9,`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(more), 0o644))
	_, err = Export(context.Background(), dir, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "missing")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Export(ctx, src, Options{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.tflite")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	require.NoError(t, WriteFile(context.Background(), filepath.Join(testdata, "tiny-opt/model"), path, Options{}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = tflite.Verify(data)
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	// A failed export leaves the old file alone.
	require.Error(t, WriteFile(context.Background(), filepath.Join(dir, "nothing"), path, Options{}))
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, data, again)
}

func TestOHWI(t *testing.T) {
	// [out=2, in=3, k=2, k=2] with value = 1000·o + 100·c + 10·y + x.
	w := make([]float32, 2*3*2*2)
	for o := 0; o < 2; o++ {
		for c := 0; c < 3; c++ {
			for y := 0; y < 2; y++ {
				for x := 0; x < 2; x++ {
					w[((o*3+c)*2+y)*2+x] = float32(1000*o + 100*c + 10*y + x)
				}
			}
		}
	}
	got := tflite.OHWI(w, 2, 3, 2)
	require.Equal(t, float32(1000+100*2+10*1+0), got[((1*2+1)*2+0)*3+2]) // o=1, y=1, x=0, c=2
	require.Equal(t, float32(0), got[0])
	require.Equal(t, float32(1211), got[len(got)-1])
}
