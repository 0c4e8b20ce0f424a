// Package voice gives edge a voice out and an ear in: a speech engine (espeak-ng, run as
// a program), an output (ALSA through aplay, or WAV files in a folder), the speaking policy
// a blind user can live with, and pocketsphinx for spoken questions. The engines are
// programs found at run time, so the edge binary needs no cgo for speech.
//
// Its room in docs/architecture.md: outputs: imports nothing of the project.
package voice

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Engine turns text into a WAV file's bytes. espeak-ng is one; Piper could be another.
type Engine interface {
	Synthesize(ctx context.Context, text string) ([]byte, error)
}

// EspeakConfig are espeak-ng's knobs; zero values keep espeak-ng's defaults.
type EspeakConfig struct {
	Voice  string `yaml:"voice"`  // e.g. "en-us", "en+f3"
	Rate   int    `yaml:"rate"`   // words per minute
	Pitch  int    `yaml:"pitch"`  // 0..99
	Volume int    `yaml:"volume"` // amplitude 0..200
}

// Espeak runs espeak-ng once per utterance and reads its WAV from stdout.
type Espeak struct {
	bin string
	cfg EspeakConfig
}

// missing names the Debian package to install for a program that is not on PATH.
func missing(program, pkg string) error {
	return fmt.Errorf("%s not found: install the Debian package %s (apt-get install %s)", program, pkg, pkg)
}

// NewEspeak finds espeak-ng on PATH.
func NewEspeak(cfg EspeakConfig) (*Espeak, error) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, missing("espeak-ng", "espeak-ng")
	}
	if cfg.Pitch < 0 || cfg.Pitch > 99 || cfg.Volume < 0 || cfg.Volume > 200 || cfg.Rate < 0 {
		return nil, errors.New("speech: pitch must be 0..99, volume 0..200 and rate not negative")
	}
	return &Espeak{bin: bin, cfg: cfg}, nil
}

// Synthesize speaks text into WAV bytes.
func (e *Espeak) Synthesize(ctx context.Context, text string) ([]byte, error) {
	args := []string{"--stdout"}
	if e.cfg.Voice != "" {
		args = append(args, "-v", e.cfg.Voice)
	}
	if e.cfg.Rate > 0 {
		args = append(args, "-s", strconv.Itoa(e.cfg.Rate))
	}
	if e.cfg.Pitch > 0 {
		args = append(args, "-p", strconv.Itoa(e.cfg.Pitch))
	}
	if e.cfg.Volume > 0 {
		args = append(args, "-a", strconv.Itoa(e.cfg.Volume))
	}
	args = append(args, "--", text)
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %v: %s", err, firstLine(stderr.String()))
	}
	if _, err := ParseWAV(out.Bytes()); err != nil {
		return nil, fmt.Errorf("espeak-ng output: %w", err)
	}
	return out.Bytes(), nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// WAVInfo is what the player and the tests need from a PCM WAV file.
type WAVInfo struct {
	Rate, Channels, Bits int
	DataOffset, DataLen  int
}

// Duration is how long the samples play.
func (w WAVInfo) Duration() time.Duration {
	bps := w.Rate * w.Channels * w.Bits / 8
	if bps == 0 {
		return 0
	}
	return time.Duration(float64(w.DataLen) / float64(bps) * float64(time.Second))
}

// FirstSound is the offset in time of the first sample louder than threshold (of full
// scale, 16-bit only): when speech starts in the file.
func (w WAVInfo) FirstSound(data []byte, threshold float64) (time.Duration, bool) {
	if w.Bits != 16 {
		return 0, false
	}
	lim := int(threshold * 32768)
	end := w.DataOffset + w.DataLen
	if end > len(data) {
		end = len(data)
	}
	for i := w.DataOffset; i+1 < end; i += 2 {
		v := int(int16(binary.LittleEndian.Uint16(data[i:])))
		if v > lim || -v > lim {
			frame := (i - w.DataOffset) / (2 * w.Channels)
			return time.Duration(float64(frame) / float64(w.Rate) * float64(time.Second)), true
		}
	}
	return 0, false
}

// ParseWAV reads a RIFF/WAVE header. espeak-ng writes 0xFFFFFFFF sizes to a pipe, so the
// data chunk is taken to run to the end of the bytes when its size does not fit.
func ParseWAV(b []byte) (WAVInfo, error) {
	var w WAVInfo
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, errors.New("not a WAV file")
	}
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := p + 8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return w, errors.New("WAV fmt chunk is cut short")
			}
			w.Channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			w.Rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			w.Bits = int(binary.LittleEndian.Uint16(b[body+14:]))
		case "data":
			if w.Rate == 0 {
				return w, errors.New("WAV data before fmt")
			}
			if size < 0 || body+size > len(b) {
				size = len(b) - body
			}
			w.DataOffset, w.DataLen = body, size
			return w, nil
		}
		if size < 0 || body+size > len(b) {
			break
		}
		p = body + size + size%2
	}
	return w, errors.New("WAV file has no data chunk")
}

// FixSizes rewrites the RIFF and data sizes of a WAV whose sizes are placeholders, so that
// the files written for tests and other programs are well formed.
func FixSizes(b []byte) []byte {
	w, err := ParseWAV(b)
	if err != nil {
		return b
	}
	out := append([]byte(nil), b[:w.DataOffset+w.DataLen]...)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	binary.LittleEndian.PutUint32(out[w.DataOffset-4:], uint32(w.DataLen))
	return out
}
