package blip2

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

type goldenCase struct {
	Name          string `json:"name"`
	Image         string `json:"image"`
	Prompt        string `json:"prompt"`
	InputIDs      []int  `json:"input_ids"`
	GreedyIDs     []int  `json:"greedy_ids"`
	GreedyText    string `json:"greedy_text"`
	Beam3Raw      []int  `json:"hf_generate_beam3_raw"`
	Beam3Text     string `json:"hf_generate_beam3_text"`
	GreedyRawHF   []int  `json:"hf_generate_greedy_raw"`
	PromptLogitsS []int  `json:"prompt_logits_shape"`
}

type goldenSet struct {
	name     string
	dir      string // fixture folder under testdata
	modelDir string
	// absolute bounds: vision, Q-Former and projection, logits
	vision, qformer, logits float64
	manifest                struct {
		EOS   int          `json:"eos_token_id"`
		Cases []goldenCase `json:"cases"`
	}
	goldens *safetensors.Archive
}

const testdata = "../../testdata"

func openGoldenSet(t *testing.T, name, modelDir string, vision, qformer, logits float64) *goldenSet {
	t.Helper()
	g := &goldenSet{name: name, dir: filepath.Join(testdata, name), modelDir: modelDir, vision: vision, qformer: qformer, logits: logits}
	raw, err := os.ReadFile(filepath.Join(g.dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &g.manifest))
	g.goldens, err = safetensors.Open(filepath.Join(g.dir, "goldens.safetensors"))
	require.NoError(t, err)
	t.Cleanup(func() { g.goldens.Close() })
	return g
}

func (g *goldenSet) tensor(t *testing.T, name string) []float32 {
	t.Helper()
	v, err := g.goldens.Float32(name)
	require.NoError(t, err, name)
	return v
}

// pixels preprocesses the case's image with our own PIL-exact preprocessing. Where the
// goldens store pixel_values for the image (once per image, not for every one), ours are
// checked against them (1e-5 for PNG; JPEG decoders differ, so there the difference is
// only reported) and the golden ones feed the model, so each stage is checked alone.
func (g *goldenSet) pixels(t *testing.T, m *Model, c goldenCase) []float32 {
	t.Helper()
	img, err := preprocess.DecodeFile(filepath.Join(g.dir, "images", c.Image))
	require.NoError(t, err)
	ours, err := m.PixelValues(img)
	require.NoError(t, err)
	for _, other := range g.manifest.Cases {
		if other.Image != c.Image {
			continue
		}
		if _, ok := g.goldens.Info(other.Name + ".pixel_values"); !ok {
			continue
		}
		want := g.tensor(t, other.Name+".pixel_values")
		if strings.HasSuffix(c.Image, ".jpg") {
			t.Logf("%s: JPEG pixel_values differ from PIL's by at most %.4f", c.Image, maxAbsDiff(ours, want))
		} else {
			requireClose(t, "pixel_values", ours, want, 1e-5)
		}
		return want
	}
	return ours
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

func requireClose(t *testing.T, what string, got, want []float32, bound float64) float64 {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	d := maxAbsDiff(got, want)
	require.LessOrEqual(t, d, bound, "%s: max abs difference", what)
	return d
}

var goldenSets = []struct {
	name, model             string
	vision, qformer, logits float64
}{
	{"tiny-opt", filepath.Join(testdata, "tiny-opt/model"), 1e-4, 1e-4, 1e-4},
	{"tiny-t5", filepath.Join(testdata, "tiny-t5/model"), 1e-4, 1e-4, 1e-4},
	// demo was computed with TF32 matrix products on a GPU.
	{"demo", "../shapes/blip2-shapes-opt", 2e-3, 1e-2, 5e-2},
}

// TestGoldens checks every intermediate and every generated token against transformers.
func TestGoldens(t *testing.T) {
	for _, gs := range goldenSets {
		t.Run(gs.name, func(t *testing.T) {
			g := openGoldenSet(t, gs.name, gs.model, gs.vision, gs.qformer, gs.logits)
			be := cpu.New(0)
			m, err := Load(gs.model, Options{Backend: be})
			require.NoError(t, err)
			defer m.Close()
			noCache, err := Load(gs.model, Options{Backend: be, NoCache: true})
			require.NoError(t, err)
			defer noCache.Close()
			worst := map[string]float64{}
			for _, c := range g.manifest.Cases {
				t.Run(c.Name, func(t *testing.T) {
					pixels := g.pixels(t, m, c)
					f, err := m.EncodePixels(pixels)
					require.NoError(t, err)
					note := func(k string, d float64) { worst[k] = math.Max(worst[k], d) }
					note("vision", requireClose(t, "vision", be.Host(f.Vision, nil), g.tensor(t, c.Name+".vision_last_hidden_state"), g.vision))
					note("qformer", requireClose(t, "qformer", be.Host(f.QFormer, nil), g.tensor(t, c.Name+".qformer_last_hidden_state"), g.qformer))
					note("projection", requireClose(t, "projection", be.Host(f.Prefix, nil), g.tensor(t, c.Name+".language_projection"), g.qformer))

					ids, err := m.InputIDs(c.Prompt)
					require.NoError(t, err)
					require.Equal(t, c.InputIDs, ids, "input ids")
					emb, err := m.InputEmbeddings(f.Prefix, ids)
					require.NoError(t, err)
					seq, all, err := m.LM.Start(emb, len(c.GreedyIDs), true)
					require.NoError(t, err)
					note("prompt_logits", requireClose(t, "prompt logits", be.Host(all, nil), g.tensor(t, c.Name+".prompt_logits"), g.logits))

					// Greedy with the KV cache, checking each step's logits.
					stepLogits := g.tensor(t, c.Name+".greedy_step_logits")
					vocab := m.LM.VocabSize()
					step := 0
					check := seqLogitsChecker{Sequence: seq, onFeed: func(logits []float32) {
						step++
						if step < len(c.GreedyIDs) {
							note("step_logits", requireClose(t, fmt.Sprintf("step %d logits", step), logits, stepLogits[step*vocab:(step+1)*vocab], g.logits))
						}
					}}
					note("step_logits", requireClose(t, "step 0 logits", be.Host(seq.Logits(), nil), stepLogits[:vocab], g.logits))
					opts := runtime.GenerateOptions{MaxNewTokens: len(c.GreedyIDs), EOS: []int{g.manifest.EOS}}
					out, err := runtime.Generate(context.Background(), &check, ids, opts)
					require.NoError(t, err)
					require.Equal(t, c.GreedyIDs, out.Tokens, "greedy ids with the KV cache")
					require.Equal(t, c.GreedyText, m.Tokenizer.Decode(out.Tokens, true), "greedy text")

					// The same by full recompute at every step.
					emb2, err := noCache.InputEmbeddings(f.Prefix, ids)
					require.NoError(t, err)
					seq2, _, err := noCache.LM.Start(emb2, len(c.GreedyIDs), false)
					require.NoError(t, err)
					out2, err := runtime.Generate(context.Background(), seq2, ids, opts)
					require.NoError(t, err)
					require.Equal(t, c.GreedyIDs, out2.Tokens, "greedy ids by full recompute")

					if c.Beam3Raw != nil {
						emb3, err := m.InputEmbeddings(f.Prefix, ids)
						require.NoError(t, err)
						seq3, _, err := m.LM.Start(emb3, len(c.Beam3Raw), false)
						require.NoError(t, err)
						beamOpts := opts
						beamOpts.NumBeams = 3
						beamOpts.MaxNewTokens = len(c.Beam3Raw) - len(c.InputIDs)
						out3, err := runtime.Generate(context.Background(), seq3, ids, beamOpts)
						require.NoError(t, err)
						raw := slices.Concat(ids, out3.Tokens)
						require.Equal(t, c.Beam3Text, strings.TrimSpace(m.Tokenizer.Decode(raw, true)), "beam-3 text")
					}
				})
			}
			t.Logf("%s worst max-abs differences: %v", gs.name, worst)
		})
	}
}

// seqLogitsChecker lets a test look at the logits after every fed token.
type seqLogitsChecker struct {
	runtime.Sequence
	onFeed func([]float32)
}

func (s *seqLogitsChecker) Feed(tok int) error {
	if err := s.Sequence.Feed(tok); err != nil {
		return err
	}
	s.onFeed(s.Backend().Host(s.Sequence.Logits(), nil))
	return nil
}
