package voice

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Sink plays one utterance. Play returns when it has been heard in full, or early with
// ctx's error when ctx ends (an answer interrupting a caption).
type Sink interface {
	Play(ctx context.Context, wav []byte, kind, text string) error
}

// ALSA plays through aplay on an ALSA device ("" is the default device).
type ALSA struct {
	bin, device string
}

// NewALSA finds aplay on PATH.
func NewALSA(device string) (*ALSA, error) {
	bin, err := exec.LookPath("aplay")
	if err != nil {
		return nil, missing("aplay", "alsa-utils")
	}
	return &ALSA{bin: bin, device: device}, nil
}

// Play pipes the WAV into aplay; cancelling ctx kills it, which stops the sound.
func (a *ALSA) Play(ctx context.Context, wav []byte, _, _ string) error {
	args := []string{"-q"}
	if a.device != "" {
		args = append(args, "-D", a.device)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, a.bin, append(args, "-")...)
	cmd.Stdin, cmd.Stderr = bytes.NewReader(wav), &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("aplay (audio device %q): %s", deviceName(a.device), firstLine(stderr.String()))
	}
	return nil
}

// Dir writes each utterance as NNNN-kind.wav in a folder, then waits as long as the audio
// lasts, as a speaker would: so the policy (interruptions, stale captions) behaves the
// same as on a real device. An utterance cut short is renamed NNNN-kind-interrupted.wav.
type Dir struct {
	dir string
	n   atomic.Uint64
	// Played, when set, sees each file with when its sound started (for tests and logs).
	Played func(path string, start time.Time)
}

// NewDir makes the folder if needed.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--speak-to %s: %w", dir, err)
	}
	return &Dir{dir: dir}, nil
}

// Path is the folder.
func (d *Dir) Path() string { return d.dir }

func (d *Dir) Play(ctx context.Context, wav []byte, kind, text string) error {
	wav = FixSizes(wav)
	info, err := ParseWAV(wav)
	if err != nil {
		return err
	}
	name := filepath.Join(d.dir, fmt.Sprintf("%04d-%s.wav", d.n.Add(1), kind))
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, wav, 0o644); err != nil {
		return fmt.Errorf("--speak-to: %w", err)
	}
	if err := os.WriteFile(strings.TrimSuffix(name, ".wav")+".txt", []byte(text+"\n"), 0o644); err != nil {
		return fmt.Errorf("--speak-to: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("--speak-to: %w", err)
	}
	start := time.Now()
	if d.Played != nil {
		d.Played(name, start)
	}
	t := time.NewTimer(info.Duration())
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		_ = os.Rename(name, strings.TrimSuffix(name, ".wav")+"-interrupted.wav")
		return ctx.Err()
	}
}

func deviceName(d string) string {
	if d == "" {
		return "default"
	}
	return d
}
