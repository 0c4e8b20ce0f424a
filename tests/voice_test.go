package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/voice"
)

// demoQuestions are the one-turn questions of the demo set, with their images.
func demoQuestions(t *testing.T) [][2]string {
	data, err := os.ReadFile("../testdata/demo/manifest.json")
	require.NoError(t, err)
	var m struct {
		Cases []struct{ Image, Prompt string }
	}
	require.NoError(t, json.Unmarshal(data, &m))
	var qs [][2]string
	for _, c := range m.Cases {
		if strings.HasPrefix(c.Prompt, "Question: ") && strings.Count(c.Prompt, "Question:") == 1 {
			q := strings.TrimSuffix(strings.TrimPrefix(c.Prompt, "Question: "), " Answer:")
			qs = append(qs, [2]string{c.Image, strings.TrimSuffix(q, "?")})
		}
	}
	require.NotEmpty(t, qs)
	return qs
}

// answerGrammar is every answer the shapes model can give to a question of q's kind, so
// that pocketsphinx can check the spoken answer word for word (one short word is hard to
// hear without knowing what kind of word to expect).
func answerGrammar(q string) string {
	words := "red | green | blue | yellow | purple | orange | white | black | gray"
	switch {
	case strings.HasPrefix(q, "how many"):
		words = "one | two"
	case strings.HasPrefix(q, "is there"):
		words = "yes | no"
	case strings.HasPrefix(q, "what shape"):
		words = "circle | square | triangle"
	}
	return "#JSGF V1.0;\ngrammar answers;\npublic <a> = " + words + ";\n"
}

// TestVoiceQuestionLoop: for every question of the demo set, espeak-ng speaks it into a
// WAV, the real edge binary hears that WAV as its microphone (pocketsphinx, grammar
// mode), answers about the demo scene and speaks the answer into a WAV folder; the
// answer must equal `edge ask`'s and pocketsphinx must hear the answer in its WAV.
// Logged: word-for-word rates (grammar here, open in the voice package test) and the
// time from the end of the question (the key press) to the first sample of the answer.
func TestVoiceQuestionLoop(t *testing.T) {
	sp, err := voice.NewEspeak(voice.EspeakConfig{})
	if err != nil {
		t.Skipf("speech engine: %v", err)
	}
	if _, err := voice.NewEar(voice.EarConfig{Microphone: "unused"}); err != nil {
		t.Skipf("ear: %v", err)
	}
	ctx := context.Background()
	qs := demoQuestions(t)
	var heardOK, answerOK, spokenOK int
	var lat []time.Duration
	for i, iq := range qs {
		img, q := filepath.Join("..", "testdata", "demo", "images", iq[0]), iq[1]
		dir := t.TempDir()
		mic := filepath.Join(dir, "question.wav")
		wav, err := sp.Synthesize(ctx, q)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(mic, voice.FixSizes(wav), 0o644))
		want, err := exec.Command(edgeBinary(), "ask", img, q+"?").Output()
		require.NoError(t, err)

		out := filepath.Join(dir, "spoken")
		cmd := exec.Command(edgeBinary(), "run", "--camera", img, "--on-end", "loop", "--mode", "trigger",
			"--embedded-addr", "127.0.0.1:"+strconv.Itoa(freePort(t)), "--speak-to", out,
			"--listen", "--microphone", mic, "--print", "--duration", "60s")
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		stderr, err := cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		errLines := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				errLines <- sc.Text()
			}
			close(errLines)
		}()
		for l := range errLines { // ready once it says where captions go
			if strings.Contains(l, "captions on") {
				break
			}
		}
		heardC := make(chan string, 1)
		go func() {
			for l := range errLines {
				if _, rest, ok := strings.Cut(l, "heard \""); ok {
					h, _, _ := strings.Cut(rest, "\"")
					heardC <- h
				}
			}
		}()
		time.Sleep(300 * time.Millisecond) // the camera's first frame
		pressed := time.Now()
		_, err = io.WriteString(stdin, "\n")
		require.NoError(t, err)
		answer := ""
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if after, ok := strings.CutPrefix(sc.Text(), "answer voice-1: "); ok {
				answer = after
				break
			}
		}
		// The answer's WAV appears as it starts to play.
		var answerWAV string
		for w := 0; w < 500 && answerWAV == ""; w++ {
			m, _ := filepath.Glob(filepath.Join(out, "*-answer*.wav"))
			if len(m) > 0 {
				answerWAV = m[0]
			} else {
				time.Sleep(10 * time.Millisecond)
			}
		}
		require.NotEmpty(t, answerWAV, "question %d %q: no answer spoken", i, q)
		data, err := os.ReadFile(answerWAV)
		require.NoError(t, err)
		st, err := os.Stat(answerWAV)
		require.NoError(t, err)
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		select {
		case h := <-heardC:
			if h == q {
				heardOK++
			} else {
				t.Logf("%d: said %q, edge heard %q", i, q, h)
			}
		default:
			t.Logf("%d: edge did not say what it heard", i)
		}
		if answer == strings.TrimSpace(string(want)) {
			answerOK++
		} else {
			t.Logf("%d %q: edge run answered %q, edge ask %q", i, q, answer, strings.TrimSpace(string(want)))
		}
		info, err := voice.ParseWAV(data)
		require.NoError(t, err)
		if off, ok := info.FirstSound(data, 0.01); ok {
			lat = append(lat, st.ModTime().Add(off).Sub(pressed))
		}
		saved := filepath.Join(dir, "answer.wav")
		require.NoError(t, os.WriteFile(saved, data, 0o644))
		gram := filepath.Join(dir, "answers.gram")
		require.NoError(t, os.WriteFile(gram, []byte(answerGrammar(q)), 0o644))
		check, err := voice.NewEar(voice.EarConfig{Grammar: gram, Microphone: "unused"})
		require.NoError(t, err)
		heard, err := check.Transcribe(ctx, saved)
		check.Close()
		if err == nil && heard == strings.TrimSpace(answer) {
			spokenOK++
		} else {
			t.Logf("%d: answer %q, its WAV heard as %q (%v)", i, answer, heard, err)
		}
	}
	t.Logf("demo questions %d: heard word for word (grammar) %d, answers equal to edge ask %d, answer WAVs heard back %d", len(qs), heardOK, answerOK, spokenOK)
	t.Logf("end of question to first sample of the answer: %v", lat)
	require.GreaterOrEqual(t, float64(heardOK), 0.95*float64(len(qs)))
	require.GreaterOrEqual(t, float64(answerOK), 0.95*float64(len(qs)))
	require.GreaterOrEqual(t, float64(spokenOK), 0.95*float64(len(qs)))
}

// TestVoiceMissingEngineAndDevice: with espeak-ng and pocketsphinx off PATH, and with
// an ALSA device that does not exist, edge run says so in one line each and keeps
// captioning.
func TestVoiceMissingEngineAndDevice(t *testing.T) {
	img := filepath.Join("..", "testdata", "demo", "images", "scene00.png")
	for _, c := range []struct {
		name, path string
		args       []string
		want       string
	}{
		{"no engines", t.TempDir(), []string{"--speak", "--listen"}, "install the Debian package espeak-ng"},
		{"no audio device", os.Getenv("PATH"), []string{"--speak", "--listen"}, "audio device"},
	} {
		args := append([]string{"run", "--camera", img, "--on-end", "loop", "--interval", "300ms", "--print",
			"--embedded-addr", "127.0.0.1:" + strconv.Itoa(freePort(t)), "--duration", "4s"}, c.args...)
		cmd := exec.Command(edgeBinary(), args...)
		cmd.Env = append(os.Environ(), "PATH="+c.path, "ALSA_CONFIG_PATH=/dev/null", "AUDIODEV=none")
		cmd.Stdin = strings.NewReader("\n")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", c.name, out)
		require.Contains(t, string(out), c.want, c.name)
		require.Contains(t, string(out), "caption 2:", "%s: the loop kept running", c.name)
		t.Logf("%s:\n%s", c.name, out)
	}
}
