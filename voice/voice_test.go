package voice

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func engines(t *testing.T) *Espeak {
	t.Helper()
	e, err := NewEspeak(EspeakConfig{})
	if err != nil {
		t.Skipf("no speech engine: %v", err)
	}
	return e
}

// TestQuestionsSurviveSpeechLoop: espeak-ng says every taught question into a WAV, and
// pocketsphinx hears it back; grammar mode must get ≥ 95 % word for word. The open
// model's rate is logged.
func TestQuestionsSurviveSpeechLoop(t *testing.T) {
	sp := engines(t)
	ctx := context.Background()
	dir := t.TempDir()
	rates := map[string]int{}
	qs := ShapesQuestions()
	for _, mode := range []string{"grammar", "open"} {
		ear, err := NewEar(EarConfig{Mode: mode, Microphone: "unused"})
		if err != nil {
			t.Skipf("no ear: %v", err)
		}
		defer ear.Close()
		for i, q := range qs {
			wav, err := sp.Synthesize(ctx, q)
			require.NoError(t, err)
			p := filepath.Join(dir, mode+"-"+strings.ReplaceAll(q, " ", "_")+".wav")
			require.NoError(t, os.WriteFile(p, FixSizes(wav), 0o644))
			heard, err := ear.Transcribe(ctx, p)
			if err == nil && heard == q {
				rates[mode]++
			} else {
				t.Logf("%s %d: said %q heard %q (%v)", mode, i, q, heard, err)
			}
		}
	}
	t.Logf("word for word: grammar %d/%d, open %d/%d", rates["grammar"], len(qs), rates["open"], len(qs))
	require.GreaterOrEqual(t, float64(rates["grammar"]), 0.95*float64(len(qs)))
}

// TestMissingEngineNamesPackage: with no programs on PATH the errors name the package.
func TestMissingEngineNamesPackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := NewEspeak(EspeakConfig{})
	require.ErrorContains(t, err, "Debian package espeak-ng")
	_, err = NewEar(EarConfig{})
	require.ErrorContains(t, err, "Debian package pocketsphinx")
	_, err = NewALSA("")
	require.ErrorContains(t, err, "alsa-utils")
}

type played struct {
	path  string
	start time.Time
}

// TestSpeakingPolicy runs the real engine into a paced WAV folder and checks, by the
// files and their timestamps: an answer cuts off a caption, an unchanged caption is not
// repeated, a stale caption is dropped, an error is said once, one voice at a time.
func TestSpeakingPolicy(t *testing.T) {
	sp := engines(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink, err := NewDir(t.TempDir())
	require.NoError(t, err)
	var mu sync.Mutex
	var got []played
	sink.Played = func(p string, at time.Time) { mu.Lock(); got = append(got, played{p, at}); mu.Unlock() }
	s, err := NewSpeaker(ctx, SpeakerConfig{Engine: sp, Sink: sink, MaxAge: time.Second})
	require.NoError(t, err)
	wait := func(n int) {
		for i := 0; i < 200; i++ {
			st := s.Stats()
			if st.Spoken+st.Interrupted+st.Stale+st.Repeats >= uint64(n) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	long := "a green square and a blue circle on a gray background, a red triangle and an orange circle on a white background"
	s.Caption(long, time.Now())
	for i := 0; i < 100 && count() == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	asked := time.Now()
	s.Answer("two")
	wait(2)
	s.Caption(long, time.Now()) // same as the last spoken caption: not repeated
	wait(3)
	s.Caption("a red circle on a white background", time.Now().Add(-2*time.Second)) // stale
	wait(4)
	s.Error("camera gone")
	s.Error("camera gone")
	wait(5)
	time.Sleep(200 * time.Millisecond)
	st := s.Stats()
	mu.Lock()
	defer mu.Unlock()
	for _, g := range got {
		t.Logf("%s %s", g.start.Format("15:04:05.000"), filepath.Base(g.path))
	}
	require.Len(t, got, 3, "caption, answer, error")
	require.Equal(t, uint64(1), st.Interrupted)
	require.Equal(t, uint64(1), st.Repeats)
	require.Equal(t, uint64(1), st.Stale)
	require.Equal(t, uint64(2), st.Spoken)
	_, err = os.Stat(strings.TrimSuffix(got[0].path, ".wav") + "-interrupted.wav")
	require.NoError(t, err, "the caption was cut off")
	require.Contains(t, got[1].path, "answer")
	require.Contains(t, got[2].path, "error")
	t.Logf("answer started %v after it was given", got[1].start.Sub(asked))
}
