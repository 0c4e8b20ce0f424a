package main

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/loop"
	"github.com/edgevlm/edge/mqtt"
	"github.com/edgevlm/edge/voice"
)

// speechConfig is the `speech:` section of edge.yaml.
type speechConfig struct {
	Speak  bool               `yaml:"speak"`  // speak captions and answers
	To     string             `yaml:"to"`     // a folder for WAV files instead of the ALSA device
	Device string             `yaml:"device"` // ALSA playback device ("" default)
	MaxAge time.Duration      `yaml:"max_age"`
	Voice  voice.EspeakConfig `yaml:"voice"`
	Listen bool               `yaml:"listen"` // voice questions on the button or Enter
	Ear    voice.EarConfig    `yaml:"ear"`
}

// speech is what the voice adds to one `edge run`.
type speech struct {
	speaker *voice.Speaker
	ear     *voice.Ear
	asks    chan mqtt.Ask
	heard   atomic.Uint64
	mu      sync.Mutex
	last    string
	dir     string
}

// startSpeech starts what is asked for; a missing engine or device is one line on stderr
// and the loop runs on without that part.
func startSpeech(ctx context.Context, e env, cfg speechConfig, opts *loop.Options, listenOn <-chan struct{}) *speech {
	sp := &speech{asks: make(chan mqtt.Ask, 4)}
	if cfg.Speak || cfg.To != "" {
		if err := sp.startSpeaker(ctx, cfg); err != nil {
			fmt.Fprintf(e.stderr, "edge run: speech off: %s\n", oneLine(err))
		} else {
			prevC, prevA, prevE := opts.OnCaption, opts.OnAnswer, opts.OnError
			opts.OnCaption = func(c mqtt.Caption) {
				sp.speaker.Caption(c.Text, c.FrameTime)
				if prevC != nil {
					prevC(c)
				}
			}
			opts.OnAnswer = func(a mqtt.Answer) {
				sp.speaker.Answer(a.Text)
				if prevA != nil {
					prevA(a)
				}
			}
			opts.OnError = func(msg string) {
				sp.speaker.Error("something went wrong; the status says what")
				if prevE != nil {
					prevE(msg)
				}
			}
			if sp.dir != "" {
				fmt.Fprintf(e.stderr, "edge run: speaking to WAV files in %s\n", sp.dir)
			}
		}
	}
	if cfg.Listen {
		ear, err := voice.NewEar(cfg.Ear)
		if err != nil {
			fmt.Fprintf(e.stderr, "edge run: listening off: %s\n", oneLine(err))
		} else {
			sp.ear = ear
			opts.Asks = sp.asks
			go sp.listen(ctx, e, listenOn)
		}
	}
	opts.StatusExtra = sp.status
	return sp
}

func (sp *speech) startSpeaker(ctx context.Context, cfg speechConfig) error {
	eng, err := voice.NewEspeak(cfg.Voice)
	if err != nil {
		return err
	}
	var sink voice.Sink
	if cfg.To != "" {
		d, err := voice.NewDir(cfg.To)
		if err != nil {
			return err
		}
		sink, sp.dir = d, d.Path()
	} else if sink, err = voice.NewALSA(cfg.Device); err != nil {
		return err
	}
	sp.speaker, err = voice.NewSpeaker(ctx, voice.SpeakerConfig{Engine: eng, Sink: sink, MaxAge: cfg.MaxAge})
	return err
}

// listen records a question each time the button is pressed or a line is read on stdin
// (Enter), and hands the text to the service as an ask.
func (sp *speech) listen(ctx context.Context, e env, button <-chan struct{}) {
	defer sp.ear.Close()
	keys := make(chan struct{}, 1)
	if e.stdin != nil {
		go func() {
			sc := bufio.NewScanner(e.stdin)
			for sc.Scan() {
				select {
				case keys <- struct{}{}:
				default:
				}
			}
		}()
	}
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-button:
		case <-keys:
		}
		text, err := sp.ear.Listen(ctx)
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(e.stderr, "edge run: listen: %s\n", oneLine(err))
				if sp.speaker != nil {
					sp.speaker.Error("I did not hear a question")
				}
			}
			continue
		}
		n++
		sp.heard.Add(1)
		sp.mu.Lock()
		sp.last = text
		sp.mu.Unlock()
		fmt.Fprintf(e.stderr, "edge run: heard %q at %s\n", text, time.Now().UTC().Format(time.RFC3339Nano))
		select {
		case sp.asks <- mqtt.Ask{ID: "voice-" + strconv.Itoa(n), Question: text + "?"}:
		case <-ctx.Done():
			return
		}
	}
}

func (sp *speech) status(stats map[string]any) {
	if sp.speaker != nil {
		st := sp.speaker.Stats()
		stats["spoken"], stats["spoken_last"] = st.Spoken, st.Last
		stats["spoken_interrupted"], stats["spoken_repeats_skipped"], stats["spoken_stale_dropped"] = st.Interrupted, st.Repeats, st.Stale
		stats["spoken_failures"] = st.Failures
	}
	if sp.ear != nil {
		sp.mu.Lock()
		stats["heard"], stats["heard_last"] = sp.heard.Load(), sp.last
		sp.mu.Unlock()
	}
}
