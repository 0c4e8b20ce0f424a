package preprocess

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// ResampleBicubic is PIL's Image.BICUBIC, the only filter BLIP-2 checkpoints use.
const ResampleBicubic = 3

// maxSide bounds the output size so that buffer sizes cannot overflow.
const maxSide = 1 << 14

// Config mirrors the fields of Hugging Face's BlipImageProcessor.
type Config struct {
	Height, Width int        // output size; aspect ratio is not kept
	Mean, Std     [3]float32 // per-channel normalisation, R, G, B
	RescaleFactor float64    // applied to 0..255 values before normalisation
	DoResize      bool
	DoRescale     bool
	DoNormalize   bool
	// DoConvertRGB is carried for fidelity with the file; this package always
	// works on RGB, which is what the processor yields for every mode it accepts.
	DoConvertRGB bool
	Resample     int // PIL filter id; only ResampleBicubic (3) is implemented
}

var (
	openAICLIPMean = [3]float32{0.48145466, 0.4578275, 0.40821073}
	openAICLIPStd  = [3]float32{0.26862954, 0.26130258, 0.27577711}
)

// DefaultConfig returns the values of the public BLIP-2 checkpoints' preprocessor_config.json.
func DefaultConfig() Config {
	c := classDefaults()
	c.Height, c.Width = 224, 224
	return c
}

// classDefaults are BlipImageProcessor's constructor defaults, used for fields a file omits.
func classDefaults() Config {
	return Config{
		Height: 384, Width: 384,
		Mean: openAICLIPMean, Std: openAICLIPStd,
		RescaleFactor: 1.0 / 255,
		DoResize:      true, DoRescale: true, DoNormalize: true, DoConvertRGB: true,
		Resample: ResampleBicubic,
	}
}

// Validate reports a configuration this package cannot apply.
func (c Config) Validate() error {
	if c.Height <= 0 || c.Width <= 0 || c.Height > maxSide || c.Width > maxSide {
		return fmt.Errorf("preprocess: size %dx%d out of range (1..%d)", c.Width, c.Height, maxSide)
	}
	if c.DoResize && c.Resample != ResampleBicubic {
		return fmt.Errorf("preprocess: resample %d not supported (only bicubic, 3)", c.Resample)
	}
	if c.DoRescale && (math.IsNaN(c.RescaleFactor) || math.IsInf(c.RescaleFactor, 0)) {
		return fmt.Errorf("preprocess: rescale factor %v is not finite", c.RescaleFactor)
	}
	if c.DoNormalize {
		for i, s := range c.Std {
			if s == 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
				return fmt.Errorf("preprocess: image_std[%d] = %v", i, s)
			}
			if m := float64(c.Mean[i]); math.IsNaN(m) || math.IsInf(m, 0) {
				return fmt.Errorf("preprocess: image_mean[%d] = %v", i, m)
			}
		}
	}
	return nil
}

// fileConfig is preprocessor_config.json; pointers tell absent fields from zero ones.
type fileConfig struct {
	DoResize      *bool           `json:"do_resize"`
	DoRescale     *bool           `json:"do_rescale"`
	DoNormalize   *bool           `json:"do_normalize"`
	DoConvertRGB  *bool           `json:"do_convert_rgb"`
	RescaleFactor *float64        `json:"rescale_factor"`
	Resample      *int            `json:"resample"`
	ImageMean     json.RawMessage `json:"image_mean"`
	ImageStd      json.RawMessage `json:"image_std"`
	Size          json.RawMessage `json:"size"`
}

// LoadConfig reads dir/preprocessor_config.json, filling absent fields with
// BlipImageProcessor's class defaults. A directory without the file yields
// DefaultConfig (the hub values) and no error.
func LoadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, "preprocessor_config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: read %s: %w", path, err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: %s: %w", path, err)
	}
	return cfg, nil
}

func parseConfig(data []byte) (Config, error) {
	var f fileConfig
	if err := json.Unmarshal(data, &f); err != nil {
		return Config{}, err
	}
	c := classDefaults()
	setBool(&c.DoResize, f.DoResize)
	setBool(&c.DoRescale, f.DoRescale)
	setBool(&c.DoNormalize, f.DoNormalize)
	setBool(&c.DoConvertRGB, f.DoConvertRGB)
	if f.RescaleFactor != nil {
		c.RescaleFactor = *f.RescaleFactor
	}
	if f.Resample != nil {
		c.Resample = *f.Resample
	}
	var err error
	if c.Mean, err = parseTriple(f.ImageMean, c.Mean); err != nil {
		return Config{}, fmt.Errorf("image_mean: %w", err)
	}
	if c.Std, err = parseTriple(f.ImageStd, c.Std); err != nil {
		return Config{}, fmt.Errorf("image_std: %w", err)
	}
	if c.Height, c.Width, err = parseSize(f.Size, c.Height, c.Width); err != nil {
		return Config{}, fmt.Errorf("size: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// parseTriple accepts [a,b,c] or a single number (HF broadcasts it to every channel).
func parseTriple(raw json.RawMessage, def [3]float32) ([3]float32, error) {
	if isAbsent(raw) {
		return def, nil
	}
	var one float64
	if json.Unmarshal(raw, &one) == nil {
		return [3]float32{float32(one), float32(one), float32(one)}, nil
	}
	var list []float64
	if err := json.Unmarshal(raw, &list); err != nil {
		return def, err
	}
	if len(list) != 3 {
		return def, fmt.Errorf("want 3 values, got %d", len(list))
	}
	return [3]float32{float32(list[0]), float32(list[1]), float32(list[2])}, nil
}

// parseSize accepts {"height","width"}, {"shortest_edge"} or a bare number.
// BLIP resizes to a fixed square, so a single edge length means edge×edge
// (get_size_dict's default_to_square for this processor).
func parseSize(raw json.RawMessage, h, w int) (int, int, error) {
	if isAbsent(raw) {
		return h, w, nil
	}
	var edge int
	if json.Unmarshal(raw, &edge) == nil {
		return edge, edge, nil
	}
	var s struct {
		Height       *int `json:"height"`
		Width        *int `json:"width"`
		ShortestEdge *int `json:"shortest_edge"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return h, w, err
	}
	switch {
	case s.Height != nil && s.Width != nil:
		return *s.Height, *s.Width, nil
	case s.ShortestEdge != nil:
		return *s.ShortestEdge, *s.ShortestEdge, nil
	}
	return h, w, fmt.Errorf("want height and width or shortest_edge, got %s", raw)
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}
