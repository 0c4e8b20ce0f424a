package preprocess

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadConfigHubFiles(t *testing.T) {
	for _, dir := range []string{
		"tiny-opt/model", "tiny-t5/model",
		"real-configs/blip2-opt-2.7b", "real-configs/blip2-flan-t5-xl",
	} {
		t.Run(dir, func(t *testing.T) {
			cfg, err := LoadConfig(filepath.Join(goldenRoot, dir))
			require.NoError(t, err)
			require.Equal(t, DefaultConfig(), cfg)
		})
	}
}

func TestLoadConfigMissingFileGivesDefault(t *testing.T) {
	cfg, err := LoadConfig(t.TempDir())
	require.NoError(t, err)
	require.Equal(t, DefaultConfig(), cfg)
}

func TestLoadConfigFields(t *testing.T) {
	withSize := func(h, w int) Config {
		c := classDefaults()
		c.Height, c.Width = h, w
		return c
	}
	tests := []struct {
		name string
		json string
		want Config
	}{
		{"empty object gets class defaults (384)", `{}`, classDefaults()},
		{"height and width", `{"size": {"height": 364, "width": 364}}`, withSize(364, 364)},
		{"shortest edge is a square", `{"size": {"shortest_edge": 224}}`, withSize(224, 224)},
		{"bare number is a square", `{"size": 480}`, withSize(480, 480)},
		{"scalar mean broadcasts", `{"image_mean": 0.5, "image_std": [0.5, 0.25, 0.125], "size": {"height": 2, "width": 3}}`,
			func() Config {
				c := withSize(2, 3)
				c.Mean = [3]float32{0.5, 0.5, 0.5}
				c.Std = [3]float32{0.5, 0.25, 0.125}
				return c
			}()},
		{"flags and factor", `{"do_resize": false, "do_rescale": false, "do_normalize": false, "do_convert_rgb": false, "rescale_factor": 0.5}`,
			func() Config {
				c := classDefaults()
				c.DoResize, c.DoRescale, c.DoNormalize, c.DoConvertRGB = false, false, false, false
				c.RescaleFactor = 0.5
				return c
			}()},
		{"null fields keep defaults", `{"size": null, "image_mean": null}`, classDefaults()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "preprocessor_config.json"), []byte(tc.json), 0o644))
			cfg, err := LoadConfig(dir)
			require.NoError(t, err)
			require.Equal(t, tc.want, cfg)
		})
	}
}

func TestLoadConfigErrorsNameTheFile(t *testing.T) {
	tests := []struct{ name, json, msg string }{
		{"malformed json", `{"size": `, "unexpected end of JSON input"},
		{"size without keys", `{"size": {"longest_edge": 10}}`, "size"},
		{"size wrong type", `{"size": "big"}`, "size"},
		{"two means", `{"image_mean": [0.1, 0.2]}`, "image_mean"},
		{"zero std", `{"image_std": [0.1, 0, 0.2]}`, "image_std"},
		{"bilinear", `{"resample": 2}`, "resample"},
		{"zero size", `{"size": {"height": 0, "width": 224}}`, "size"},
		{"flag wrong type", `{"do_resize": "yes"}`, "do_resize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "preprocessor_config.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.json), 0o644))
			_, err := LoadConfig(dir)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestLoadConfigUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "preprocessor_config.json")
	require.NoError(t, os.Mkdir(path, 0o755)) // a directory where the file should be
	_, err := LoadConfig(dir)
	require.ErrorContains(t, err, path)
}

func TestValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	bad := DefaultConfig()
	bad.Width = -1
	require.Error(t, bad.Validate())
	bad = DefaultConfig()
	bad.Height = maxSide + 1
	require.Error(t, bad.Validate())
	// Resample is irrelevant when there is no resize.
	noResize := DefaultConfig()
	noResize.DoResize, noResize.Resample = false, 0
	require.NoError(t, noResize.Validate())
}
