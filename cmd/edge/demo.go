package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgevlm/edge/camera/gocvsrc"
	"github.com/edgevlm/edge/camera/scene"
	"github.com/edgevlm/edge/loop"
	"github.com/edgevlm/edge/mqtt"
)

func demoCommand() command {
	c := command{name: "demo", summary: "The whole product on its embedded defaults: a synthetic video, the shapes model, the embedded broker."}
	c.usage = `Usage: edge demo [--scenes N] [--seed S]

Renders a short video of shape scenes (the project's own renderer), plays it through
OpenCV as a camera, describes each new scene with the embedded shapes model, publishes
the captions on the embedded MQTT broker, and prints each caption as a separate MQTT
subscriber receives it, marked against the scene's true caption.

Examples:
  edge demo
  edge demo --scenes 10 --seed 7`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		scenes := fs.Int("scenes", 6, "how many scenes the video shows")
		seed := fs.Uint64("seed", 1, "which scenes")
		var mf modelFlags
		mf.register(fs)
		if _, err := parse(fs, args); err != nil {
			return err
		}
		if *scenes < 1 || *scenes > 100 {
			return usagef("--scenes must be between 1 and 100")
		}
		const perScene, fps = 8, 8.0
		rng := rand.New(rand.NewPCG(*seed, 0x5eed))
		layouts := make([]scene.Layout, *scenes)
		truth := map[string]bool{}
		var frames []image.Image
		for i := range layouts {
			layouts[i] = scene.Random(rng)
			truth[layouts[i].Caption()] = true
			for f := 0; f < perScene; f++ {
				frames = append(frames, scene.Render(layouts[i], scene.BaseSize, int64(i*perScene+f)))
			}
		}
		dir, err := os.MkdirTemp("", "edge-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		source := filepath.Join(dir, "scenes.avi")
		if err := gocvsrc.WriteVideo(source, frames, fps); err != nil {
			if !errors.Is(err, gocvsrc.ErrNoOpenCV) {
				return fmt.Errorf("write the demo video: %w", err)
			}
			fmt.Fprintln(e.stderr, "edge demo: this build has no OpenCV; using the synthetic source instead of a video file")
			source = "synthetic"
		}
		fmt.Fprintf(e.stdout, "edge demo: %d scenes, %d frames at %.0f fps in %s\n", *scenes, len(frames), fps, source)

		m, err := mf.load(e)
		if err != nil {
			return err
		}
		defer m.Close()
		cfg := loop.Config{
			Model:    loop.ModelConfig{Dir: m.Dir},
			Camera:   loop.CameraConfig{Source: source, MaxFPS: fps, Seed: int64(*seed), ScenePeriod: perScene, Frames: uint64(len(frames))},
			Schedule: loop.ScheduleConfig{Mode: "change"},
			MQTT:     mqtt.Config{EmbeddedAddr: "127.0.0.1:0", DeviceID: "demo"},
		}
		var sub *subscriber
		opts := loop.Options{
			Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError})), Version: version, Board: "demo",
			OnReady: func(broker string, t mqtt.Topics) {
				fmt.Fprintf(e.stdout, "edge demo: embedded broker %s; subscribed to %s\n", broker, t.Caption)
				sub, err = subscribe(broker, t.Caption, func(c mqtt.Caption) {
					mark := "✗"
					if truth[c.Text] {
						mark = "✓"
					}
					fmt.Fprintf(e.stdout, "  caption %d %s %s  (%.0f ms after the frame)\n", c.Seq, mark, c.Text, c.LatencyMS["frame_to_publish"])
				})
				if err != nil {
					fmt.Fprintf(e.stderr, "edge demo: subscriber: %v\n", err)
				}
			},
		}
		published := 0
		opts.OnCaption = func(mqtt.Caption) { published++ }
		runErr := loop.Run(ctx, cfg, m, opts)
		if sub != nil {
			sub.wait(published, 5*time.Second)
			sub.close()
			fmt.Fprintf(e.stdout, "edge demo: %d captions published, %d received, %d of them a scene's true caption\n", published, sub.count(), sub.matching(truth))
		}
		return runErr
	}
	return c
}

// subscriber is a plain MQTT client, separate from the service, that receives captions
// as any consumer on the network would.
type subscriber struct {
	client paho.Client
	mu     sync.Mutex
	got    []mqtt.Caption
}

func subscribe(broker, topic string, onCaption func(mqtt.Caption)) (*subscriber, error) {
	s := &subscriber{}
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("edge-demo-sub-%d", os.Getpid()))
	s.client = paho.NewClient(opts)
	if tok := s.client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("connect to %s: %v", broker, tok.Error())
	}
	tok := s.client.Subscribe(topic, 1, func(_ paho.Client, msg paho.Message) {
		var c mqtt.Caption
		if json.Unmarshal(msg.Payload(), &c) != nil {
			return
		}
		s.mu.Lock()
		s.got = append(s.got, c)
		s.mu.Unlock()
		onCaption(c)
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("subscribe to %s: %v", topic, tok.Error())
	}
	return s, nil
}

func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func (s *subscriber) matching(truth map[string]bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.got {
		if truth[c.Text] {
			n++
		}
	}
	return n
}

// wait gives the last captions time to arrive.
func (s *subscriber) wait(n int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for s.count() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *subscriber) close() { s.client.Disconnect(100) }
