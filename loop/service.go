package loop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/loop/scheduler"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/mqtt"
	"github.com/edgevlm/edge/runtime"
)

// Options are what the caller adds beyond the config.
type Options struct {
	Logger  *slog.Logger
	Version string
	Board   string
	// Triggers, when set, asks for a description now on every receive (the Jetson button).
	Triggers <-chan struct{}
	// OnCaption and OnAnswer see each result as it is published (the CLI prints them).
	OnCaption func(mqtt.Caption)
	OnAnswer  func(mqtt.Answer)
	// OnReady is called once the MQTT client exists, with the broker it connects to.
	OnReady func(broker string, topics mqtt.Topics)
	// Thermal, when set, delivers the board's thermal decisions: descriptions are thinned
	// while throttled and stopped while paused, and the status says so.
	Thermal <-chan Thermal
	// OnWork sees the service go "working" (generating), "idle" or "error" (a status LED).
	OnWork func(state string)
	// ModelLock, when set, is held for each generation instead of the service's own
	// lock, so that others (the HTTP API) can share the model one generation at a time.
	ModelLock sync.Locker
	// OnFrame sees every frame read from the camera (the HTTP API's latest frame).
	OnFrame func(camera.Frame)
	// Asks, when set, are questions from outside MQTT (voice): answered like MQTT asks.
	Asks <-chan mqtt.Ask
	// OnError sees each error the service publishes (speech says it once).
	OnError func(msg string)
	// StatusExtra adds its counters to the status (speech: spoken and heard).
	StatusExtra func(stats map[string]any)
	// Client, when set, is the MQTT client to use instead of making one from
	// cfg.MQTT (edge run makes it before loading the model, so that the status says
	// "loading" meanwhile). Run closes it on the way out, as its own.
	Client *mqtt.Client

	// Set by RunCameras: the camera's id (in its frames' prefix-cache keys) and the
	// image-path batcher all its cameras share.
	cameraID string
	batcher  *imageBatcher
}

// Thermal is a thermal governor's decision as the service uses it.
type Thermal struct {
	State     string  // "normal", "throttled" or "paused"
	FPSFactor float64 // share of descriptions to keep: 1, a fraction, or 0
	Reason    string
}

// Service is one running camera-to-MQTT loop.
type Service struct {
	cfg      Config
	opts     Options
	model    *blip2.Model
	batcher  *imageBatcher // one generation at a time: captions and answers share the cores
	client   *mqtt.Client
	src      *latestSource
	sched    *scheduler.Scheduler
	sessions *sessions
	log      *slog.Logger
	gen      runtime.GenerateOptions

	captions, answers, failures atomic.Uint64
	images                      imageStats

	thermal     atomic.Pointer[Thermal]
	thermalSkip atomic.Uint64 // descriptions left out to cool down
	thinning    float64       // describe-scheduler credit while throttled (scheduler goroutine only)
}

// Run opens the camera and the MQTT client and runs until ctx ends or the camera ends
// for good. On the way out it stops the generation in flight, publishes the offline
// status and closes the camera.
func Run(ctx context.Context, cfg Config, model *blip2.Model, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, opts: opts, model: model, log: opts.Logger, client: opts.Client}
	if s.client != nil {
		defer s.closeClient()
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.cfg, s.sessions = cfg, newSessions(cfg.Chat.MaxSessions, cfg.Chat.SessionTTL)
	s.batcher = opts.batcher
	if s.batcher == nil {
		s.batcher = newImageBatcher(model, modelLock(opts), cfg.BatchMax)
	}
	s.gen = model.DefaultGenerateOptions()
	s.gen.MaxNewTokens, s.gen.NumBeams = cfg.MaxNewTokens, cfg.Beams
	if ok, err := model.Fits(cfg.Prompt, cfg.MaxNewTokens); err != nil || !ok {
		return fmt.Errorf("prompt %q with max_new_tokens %d does not fit the model's context of %d", cfg.Prompt, cfg.MaxNewTokens, model.LM.ContextLength())
	}

	src, health, err := openSource(cfg.Camera)
	if err != nil {
		return err
	}
	s.src = &latestSource{Source: src, health: health, onFrame: opts.OnFrame}
	defer s.src.Close()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.client == nil {
		mcfg := cfg.MQTT
		if mcfg.Logger == nil {
			mcfg.Logger = opts.Logger
		}
		s.client, err = mqtt.New(runCtx, mcfg)
		if err != nil {
			return fmt.Errorf("mqtt: %w", err)
		}
		defer s.closeClient()
	}
	if opts.OnReady != nil {
		opts.OnReady(s.client.Broker(), s.client.Topics())
	}
	s.publishStatus(mqtt.StateOnline)

	s.sched, err = scheduler.New(scheduler.Config{
		Mode: scheduler.Mode(cfg.Schedule.Mode), Interval: cfg.Schedule.Interval,
		ChangeThreshold: cfg.Schedule.ChangeThreshold, MaxFPS: cfg.Schedule.MaxFPS,
	}, s.src, s.describe)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.answerLoop(runCtx) }()
	go func() { defer wg.Done(); s.statusLoop(runCtx) }()
	go func() { defer wg.Done(); s.thermalLoop(runCtx) }()
	err = s.sched.Run(runCtx)
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil // asked to stop
	}
	st := s.sched.Stats()
	s.log.Info("edge run stopped", "frames", s.src.reads.Load(), "described", st.Described, "captions", s.captions.Load(), "answers", s.answers.Load())
	return err
}

// RunCameras runs one loop per camera of cfg (its cameras, or its one camera) on the
// one model, one generation at a time under one lock (opts[0].ModelLock when set, which
// the HTTP API may share), with their image paths batched. opts[i] are camera i's. A
// camera that ends for good ends its loop only; RunCameras returns once every loop has
// ended, with their errors, each naming its camera when there are several.
func RunCameras(ctx context.Context, cfg Config, model *blip2.Model, opts []Options) error {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	cams := cfg.PerCamera()
	if len(opts) != len(cams) {
		return fmt.Errorf("loop: %d cameras but %d options", len(cams), len(opts))
	}
	lock := modelLock(opts[0])
	batcher := newImageBatcher(model, lock, cfg.BatchMax)
	errs := make([]error, len(cams))
	var wg sync.WaitGroup
	for i, one := range cams {
		o := opts[i]
		o.ModelLock, o.batcher = lock, batcher
		if len(cfg.Cameras) > 0 {
			o.cameraID = cfg.Cameras[i].ID
		}
		wg.Go(func() {
			errs[i] = Run(ctx, one, model, o)
			if ctx.Err() != nil && errors.Is(errs[i], ctx.Err()) {
				errs[i] = nil // asked to stop, or --duration ran out: no camera's failure
			}
			if errs[i] != nil && o.cameraID != "" {
				errs[i] = fmt.Errorf("camera %s: %w", o.cameraID, errs[i])
				// Said now: the others go on, and the error is returned only at the end.
				cmp.Or(o.Logger, slog.Default()).Error("camera ended", "camera", o.cameraID, "err", errs[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// modelLock is the lock the options name, or a new one.
func modelLock(opts Options) sync.Locker {
	if opts.ModelLock != nil {
		return opts.ModelLock
	}
	return &sync.Mutex{}
}

// closeClient publishes the offline status and closes the MQTT client. What the
// broker never took (it was away at the end) is dropped: say so.
func (s *Service) closeClient() {
	if err := s.client.Close(); err != nil {
		s.log.Warn("mqtt close", "err", err)
	}
}

func (s *Service) modelName() string { return filepath.Base(s.model.Dir) }

// coolDown says whether to leave this description out: all of them while paused, and
// enough of them while throttled to keep FPSFactor of the rate.
func (s *Service) coolDown() bool {
	t := s.thermal.Load()
	if t == nil || t.State == "normal" || t.FPSFactor >= 1 {
		s.thinning = 0
		return false
	}
	s.thinning += t.FPSFactor
	if s.thinning >= 1 {
		s.thinning--
		return false
	}
	s.thermalSkip.Add(1)
	return true
}

func (s *Service) work(state string) {
	if s.opts.OnWork != nil {
		s.opts.OnWork(state)
	}
}

// generate runs the model on one image, one generation at a time: the image path
// through the batcher (or not at all when a recent generation kept the frame's
// prefix), then the language model on prompt.
func (s *Service) generate(ctx context.Context, f *camera.Frame, prompt string) (*blip2.Result, error) {
	key := blip2.FrameKey{Camera: s.opts.cameraID, Seq: f.Seq, Time: f.Time}
	prefix, image, unlock, err := s.batcher.acquire(ctx, key, f.Image, &s.images)
	if err != nil {
		if ctx.Err() == nil {
			s.work("error")
		}
		return nil, err
	}
	defer unlock()
	s.work("working")
	r, err := s.model.GenerateWithPrefix(ctx, prefix, prompt, s.gen)
	if err != nil {
		if ctx.Err() == nil {
			s.work("error")
		} else {
			s.work("idle")
		}
		return nil, err
	}
	s.work("idle")
	r.Timings.Preprocess, r.Timings.Image = image.Preprocess, image.Image
	r.Timings.Total += image.Total
	return r, nil
}

// describe captions one frame and publishes it; called by the scheduler.
func (s *Service) describe(ctx context.Context, f camera.Frame) error {
	if s.coolDown() {
		return nil
	}
	r, err := s.generate(ctx, &f, s.cfg.Prompt)
	if err != nil {
		if ctx.Err() == nil {
			s.failures.Add(1)
			s.publishError(mqtt.Error{Error: fmt.Sprintf("describe frame %d: %v", f.Seq, err)})
		}
		return err
	}
	c := mqtt.Caption{Text: r.Text, TokenIDs: r.Tokens, Model: s.modelName(), Prompt: s.cfg.Prompt,
		FrameTime: f.Time, Seq: s.captions.Add(1), LatencyMS: r.Timings.MS()}
	c.LatencyMS["frame_to_publish"] = float64(time.Since(f.Time).Microseconds()) / 1000
	if err := s.client.PublishCaption(c); err != nil {
		return err
	}
	if s.opts.OnCaption != nil {
		s.opts.OnCaption(c)
	}
	return nil
}

// answerLoop answers questions about the latest frame and passes triggers on.
func (s *Service) answerLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.client.Triggers():
			s.sched.Trigger()
		case <-s.opts.Triggers:
			s.sched.Trigger()
		case ask := <-s.client.Asks():
			s.ask(ctx, ask)
		case ask := <-s.opts.Asks:
			s.ask(ctx, ask)
		}
	}
}

func (s *Service) ask(ctx context.Context, ask mqtt.Ask) {
	if err := s.answer(ctx, ask); err != nil && ctx.Err() == nil {
		s.failures.Add(1)
		s.publishError(mqtt.Error{ID: ask.ID, Error: err.Error()})
	}
}

func (s *Service) publishError(e mqtt.Error) {
	_ = s.client.PublishError(e)
	if s.opts.OnError != nil {
		s.opts.OnError(e.Error)
	}
}

func (s *Service) answer(ctx context.Context, ask mqtt.Ask) error {
	f := s.src.latest.Load()
	for wait := 0; f == nil && wait < 50; wait++ { // the camera's first frame may be on its way
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		f = s.src.latest.Load()
	}
	if f == nil {
		return errors.New("no camera frame yet")
	}
	var chat *runtime.Session
	if ask.Session != "" {
		chat = s.sessions.get(ask.Session)
	} else {
		chat = &runtime.Session{}
	}
	prompt, dropped, err := chat.Prompt(ask.Question, func(p string) (bool, error) { return s.model.FitsChat(p, s.gen.MaxNewTokens) })
	if err != nil {
		return fmt.Errorf("question does not fit the model's context: %w", err)
	}
	r, err := s.generate(ctx, f, prompt)
	if err != nil {
		return err
	}
	if ask.Session != "" {
		s.sessions.update(ask.Session, func(c *runtime.Session) { c.Add(ask.Question, r.Text, dropped) })
	}
	a := mqtt.Answer{ID: ask.ID, Question: ask.Question, Text: r.Text, TokenIDs: r.Tokens, Session: ask.Session,
		TrimmedTurns: dropped, Model: s.modelName(), FrameTime: f.Time, Seq: f.Seq, LatencyMS: r.Timings.MS()}
	s.answers.Add(1)
	if err := s.client.PublishAnswer(a); err != nil {
		return err
	}
	if s.opts.OnAnswer != nil {
		s.opts.OnAnswer(a)
	}
	return nil
}

// thermalLoop follows the board's thermal decisions and republishes the status when the
// state changes, so that watchers learn why captions slowed or stopped.
func (s *Service) thermalLoop(ctx context.Context) {
	if s.opts.Thermal == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case t, ok := <-s.opts.Thermal:
			if !ok {
				return
			}
			prev := s.thermal.Swap(&t)
			if prev == nil || prev.State != t.State {
				s.log.Warn("thermal", "state", t.State, "reason", t.Reason)
				s.publishStatus(mqtt.StateOnline)
			}
		}
	}
}

func (s *Service) statusLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.publishStatus(mqtt.StateOnline)
		}
	}
}

func (s *Service) publishStatus(state string) {
	stats := map[string]any{
		"frames_read": s.src.reads.Load(), "captions": s.captions.Load(), "answers": s.answers.Load(),
		"failures": s.failures.Load(), "sessions": s.sessions.len(), "camera": s.src.Name(),
	}
	if p, ok := s.src.Source.(*camera.Paced); ok {
		ps := p.Stats()
		stats["source_fps"] = ps.SourceFPS
	}
	s.src.health.addTo(stats)
	stats["goroutines"] = goruntime.NumGoroutine()
	addMemory(stats)
	if s.sched != nil {
		st := s.sched.Stats()
		stats["described"], stats["skipped"] = st.Described, st.Skipped
	}
	stats["image_prefix_reused"] = s.model.PrefixesReused()
	s.images.addTo(stats)
	if t := s.thermal.Load(); t != nil {
		stats["thermal"], stats["thermal_reason"] = t.State, t.Reason
		stats["thermal_skipped"] = s.thermalSkip.Load()
	}
	if s.opts.StatusExtra != nil {
		s.opts.StatusExtra(stats)
	}
	ms := s.client.Stats()
	stats["published"], stats["dropped"] = ms.Published, ms.Dropped
	_ = s.client.PublishStatus(mqtt.Status{State: state, Model: s.modelName(), Version: s.opts.Version,
		Board: s.opts.Board, Time: time.Now(), Stats: stats})
}
