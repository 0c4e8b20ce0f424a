package voice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// EarConfig says how questions are heard.
type EarConfig struct {
	// Mode: "grammar" (default: only the model's question forms, far more accurate) or
	// "open" (pocketsphinx's general en-us language model: any sentence, often wrong).
	Mode string `yaml:"mode"`
	// Grammar is a JSGF file to use instead of the built-in shapes grammar (other models).
	Grammar string `yaml:"grammar"`
	// Device is the ALSA capture device for arecord ("" is the default one).
	Device string `yaml:"device"`
	// Microphone, when set, is a WAV file heard instead of recording (tests, replays).
	Microphone string `yaml:"microphone"`
	// Seconds is how long one recording lasts (default 3).
	Seconds int `yaml:"seconds"`
}

// Ear records a question and turns it into text with pocketsphinx_continuous, run as a
// program: no cgo in edge, and Debian's build is used as shipped.
type Ear struct {
	cfg     EarConfig
	ps, sox string
	arecord string
	grammar string // JSGF file in use (grammar mode)
	tmp     string
}

// NewEar finds the programs and writes the built-in grammar when no file is given.
func NewEar(cfg EarConfig) (*Ear, error) {
	if cfg.Mode == "" {
		cfg.Mode = "grammar"
	}
	if cfg.Mode != "grammar" && cfg.Mode != "open" {
		return nil, fmt.Errorf("speech.listen.mode %q is not grammar or open", cfg.Mode)
	}
	if cfg.Seconds == 0 {
		cfg.Seconds = 3
	}
	e := &Ear{cfg: cfg}
	var err error
	if e.ps, err = exec.LookPath("pocketsphinx_continuous"); err != nil {
		return nil, missing("pocketsphinx_continuous", "pocketsphinx")
	}
	if _, err := os.Stat("/usr/share/pocketsphinx/model/en-us/en-us"); err != nil {
		return nil, missing("the en-us acoustic model", "pocketsphinx-en-us")
	}
	if e.sox, err = exec.LookPath("sox"); err != nil {
		return nil, missing("sox", "sox")
	}
	if cfg.Microphone == "" {
		if e.arecord, err = exec.LookPath("arecord"); err != nil {
			return nil, missing("arecord", "alsa-utils")
		}
	}
	if e.tmp, err = os.MkdirTemp("", "edge-ear-"); err != nil {
		return nil, err
	}
	if cfg.Mode == "grammar" {
		e.grammar = cfg.Grammar
		if e.grammar == "" {
			e.grammar = filepath.Join(e.tmp, "shapes.gram")
			if err := os.WriteFile(e.grammar, []byte(ShapesGrammar()), 0o644); err != nil {
				return nil, err
			}
		} else if _, err := os.Stat(e.grammar); err != nil {
			return nil, fmt.Errorf("speech.listen.grammar: %w", err)
		}
	}
	return e, nil
}

// Close removes the temporary files.
func (e *Ear) Close() error { return os.RemoveAll(e.tmp) }

// Listen records (or takes the microphone file) and transcribes it.
func (e *Ear) Listen(ctx context.Context) (string, error) {
	in := e.cfg.Microphone
	if in == "" {
		in = filepath.Join(e.tmp, "rec.wav")
		args := []string{"-q", "-f", "S16_LE", "-r", "16000", "-c", "1", "-d", strconv.Itoa(e.cfg.Seconds)}
		if e.cfg.Device != "" {
			args = append(args, "-D", e.cfg.Device)
		}
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, e.arecord, append(args, in)...)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("arecord (audio device %q): %s", deviceName(e.cfg.Device), firstLine(stderr.String()))
		}
	}
	return e.Transcribe(ctx, in)
}

// Transcribe turns a WAV file (any rate) into text.
func (e *Ear) Transcribe(ctx context.Context, wav string) (string, error) {
	if _, err := os.Stat(wav); err != nil {
		return "", fmt.Errorf("microphone %s: %w", wav, err)
	}
	// pocketsphinx's en-us model wants 16 kHz mono 16-bit.
	conv := filepath.Join(e.tmp, fmt.Sprintf("in-%d.wav", time.Now().UnixNano()))
	defer os.Remove(conv)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.sox, wav, "-r", "16000", "-c", "1", "-b", "16", conv)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("sox %s: %s", wav, firstLine(stderr.String()))
	}
	args := []string{"-infile", conv, "-logfn", "/dev/null"}
	if e.grammar != "" {
		args = append(args, "-jsgf", e.grammar)
	}
	var out bytes.Buffer
	stderr.Reset()
	cmd = exec.CommandContext(ctx, e.ps, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pocketsphinx: %v: %s", err, firstLine(stderr.String()))
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	if text == "" {
		return "", errors.New("no question heard")
	}
	return text, nil
}

// The shapes model's vocabulary and question forms (as it was taught).
var (
	shapeWords  = []string{"circle", "square", "triangle"}
	colourWords = []string{"red", "green", "blue", "yellow", "purple", "orange"}
)

// ShapesQuestions lists every question the shapes model was taught.
func ShapesQuestions() []string {
	q := []string{"what color is the background", "how many shapes are there", "what shape is it",
		"what shape is on the left", "what shape is on the right",
		"what color is the shape on the left", "what color is the shape on the right"}
	for _, s := range shapeWords {
		q = append(q, "is there a "+s, "what color is the "+s)
	}
	return q
}

// ShapesGrammar is a JSGF grammar of ShapesQuestions.
func ShapesGrammar() string {
	return `#JSGF V1.0;
grammar shapes;
<shape> = ` + strings.Join(shapeWords, " | ") + `;
<side> = left | right;
public <question> = what color is the background
  | how many shapes are there
  | what shape is it
  | what shape is on the <side>
  | what color is the shape on the <side>
  | is there a <shape>
  | what color is the <shape>;
`
}
