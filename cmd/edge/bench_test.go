package main

import (
	"bytes"
	"encoding/json"
	"image"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera/scene"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/runtime/cpu"
)

func TestBenchShapesJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	e := env{stdout: &out, stderr: &errOut}
	c := benchCommand()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	require.NoError(t, c.run(t.Context(), e, []string{"--runs", "1", "--warmup", "0", "--tokens", "2", "--limits=false", "--threads", "2", "--json"}))
	var rep benchReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Rows, 2)
	for _, r := range rep.Rows {
		require.Equal(t, "blip2-shapes-opt", r.Model)
		require.Len(t, r.Stages, 7)
		require.Positive(t, r.DecodeBytes)
		for _, s := range r.Stages {
			require.Positive(t, s.Median, s.Name)
		}
		// Cold start: the load, then the first caption on top of it.
		load, cold, caption := r.stage("load"), r.stage("cold start: load + first caption"), r.stage("caption (all stages)")
		require.NotNil(t, load)
		require.NotNil(t, cold)
		require.Greater(t, cold.Median, load.Median)
		require.GreaterOrEqual(t, cold.Median, load.Median+0.9*caption.Median, "with one run and no warm-up the first caption is the timed one")
	}
	// --batch adds the image path on several frames at once, per frame.
	out.Reset()
	require.NoError(t, c.run(t.Context(), e, []string{"--runs", "1", "--warmup", "0", "--tokens", "2", "--limits=false", "--threads", "2", "--batch", "3", "--json"}))
	rep = benchReport{}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Rows, 2)
	for _, r := range rep.Rows {
		st := r.stage("image path, batch of 3, per frame")
		require.NotNil(t, st, "%+v", r.Stages)
		require.Positive(t, st.Median)
	}
	require.Error(t, c.run(t.Context(), e, []string{"--batch", "0"}))
	require.Error(t, c.run(t.Context(), e, []string{"--weights", "int2"}))
	out.Reset()
	require.NoError(t, c.run(t.Context(), e, []string{"--runs", "1", "--warmup", "0", "--tokens", "2", "--limits=false", "--weights", "int8", "--json"}))
	rep = benchReport{}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Rows, 1)
	require.Equal(t, "int8", rep.Rows[0].Weights)
	out.Reset()
	require.NoError(t, c.run(t.Context(), e, []string{"--runs", "1", "--warmup", "0", "--tokens", "2", "--limits=false", "--weights", "int4", "--json"}))
	rep = benchReport{}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Rows, 1)
	require.Equal(t, "int4", rep.Rows[0].Weights)
	require.Error(t, c.run(t.Context(), e, []string{"--shapes", "nope"}))
	require.Error(t, c.run(t.Context(), e, []string{"--lm-layers", "4,2"}))
}

// TestBenchExtrapolated forces the reduced-layer path on the tiny OPT and T5
// fixtures: the language-model stages come from two layer counts, the note says so.
func TestBenchExtrapolated(t *testing.T) {
	if availableMemory() == 0 {
		t.Skip("no /proc/meminfo: the memory check cannot force the reduced path")
	}
	be := cpu.New(2)
	defer be.Close()
	for _, dir := range []string{"tiny-opt/model", "tiny-t5/model"} {
		cfg, err := hfconfig.Load(filepath.Join("../../testdata", dir))
		require.NoError(t, err)
		require.Equal(t, 1, lmLayers(withLayers(cfg, 1)))
		b := &bencher{ctx: t.Context(), be: be, threads: 2, img: testImage(), runs: 2, warmup: 0, tokens: 2, batch: 2, weights: []precision{fp32, int8, int4, fp16}}
		rows, err := b.fullSize(filepath.Join("../../testdata", dir), "tiny", 0, 1, 2)
		require.NoError(t, err)
		require.Len(t, rows, 4)
		for _, r := range rows {
			require.Contains(t, r.Note, "extrapolated")
			require.NotNil(t, r.stage("image path, batch of 2, per frame"), "the batch is timed in full: %+v", r.Stages)
			per := r.stage("per decoded token")
			require.NotNil(t, per)
			require.Positive(t, per.Median)
		}
		ids := benchIDs(cfg)
		require.NotEmpty(t, ids)
	}
	a, b, err := parseLayerPair("2,4")
	require.NoError(t, err)
	require.Equal(t, []int{2, 4}, []int{a, b})
}

func testImage() image.Image {
	return scene.Render(scene.Layout{Background: "white", Shapes: []scene.Shape{{Kind: "square", Color: "blue", CX: 112, CY: 112, R: 40}}}, 224, 1)
}
