package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera/scene"
	"github.com/edgevlm/edge/models/shapes"
)

// Two scenes drawn by hand inside the training ranges: two shapes of different kinds
// and colours (so "it" has one right answer), and a single shape.
func twoShapes() scene.Layout {
	return scene.Layout{Background: "gray", Shapes: []scene.Shape{
		{Kind: "square", Color: "green", CX: 64, CY: 110, R: 32},
		{Kind: "circle", Color: "blue", CX: 160, CY: 100, R: 30},
	}}
}

func oneShape() scene.Layout {
	return scene.Layout{Background: "black", Shapes: []scene.Shape{
		{Kind: "triangle", Color: "orange", CX: 112, CY: 118, R: 44},
	}}
}

// question is one the model was taught; Layout.Answer gives the truth where it applies.
type question struct {
	text string
	// reliable marks the kinds of question the shapes model answers right. Measured with
	// this runtime on 40 random scenes (the fixtures' transformers answers agree where they
	// overlap): background, count, the colour of the shape on the left or right and "what
	// shape is it" 100 %; "what shape is on the left/right" about 70 %, "what color is the
	// triangle/circle/square" 55–85 %, and "is there a …" about 60 % (transformers misses
	// two of the three in the fixtures too). The others are asked, answered and logged.
	reliable bool
}

func questions() []question {
	return []question{
		{"what color is the background?", true},
		{"how many shapes are there?", true},
		{"what color is the shape on the left?", true},
		{"what color is the shape on the right?", true},
		{"what shape is it?", true},
		{"what shape is on the left?", false},
		{"what shape is on the right?", false},
		{"is there a circle?", false},
		{"is there a triangle?", false},
		{"what color is the square?", false},
		{"what color is the triangle?", false},
	}
}

// startAsker runs a device on a still image of l, looped, in trigger mode (so that no
// captions compete with the answers), and returns an observer of its answers and errors
// once the device is online. before, when set, runs once the broker is up and before
// the device starts.
func startAsker(t *testing.T, l scene.Layout, before func(*observer)) *observer {
	t.Helper()
	dir := t.TempDir()
	img := writePNG(t, dir, l)
	b := startMosquitto(t, false)
	obs := observe(t, b.url(), observerOptions{}, "edge/cam1/answer", "edge/cam1/error", "edge/cam1/status")
	if before != nil {
		before(obs)
	}
	startEdge(t, dir, runArgs(b.url(), "cam1", "--camera", img, "--on-end", "loop", "--max-fps", "5", "--mode", "trigger")...)
	obs.awaitOnline(30 * time.Second)
	return obs
}

func ask(t *testing.T, obs *observer, id, question, session string) {
	t.Helper()
	payload, err := json.Marshal(map[string]string{"id": id, "question": question, "session": session})
	require.NoError(t, err)
	obs.publish("edge/cam1/ask", false, payload)
}

// awaitAnswer waits for the answer with this id.
func awaitAnswer(t *testing.T, obs *observer, id string, limit time.Duration) answer {
	t.Helper()
	var found answer
	obs.await("answer", limit, fmt.Sprintf("the answer to ask %q", id), func(ms []message) bool {
		for _, a := range decodeAll[answer](t, ms) {
			if a.ID == id {
				found = a
				return true
			}
		}
		return false
	})
	return found
}

func norm(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }

// Every question sent on the ask topic is answered, matched by id, and the answers to the
// kinds of question the model knows well are the scene's true ones.
func TestAsksAnswered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scene scene.Layout
	}{
		{"two shapes", twoShapes()},
		{"one shape", oneShape()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := startAsker(t, tc.scene, nil)
			qs := questions()
			want := map[string]string{}
			for i, q := range qs {
				truth, ok := tc.scene.Answer(q.text)
				if !ok {
					continue
				}
				id := fmt.Sprintf("q%d", i)
				want[id] = truth
				ask(t, obs, id, q.text, "") // all at once: the device queues them
			}
			require.GreaterOrEqual(t, len(want), 5, "questions that apply to %s", tc.scene.Caption())
			right, checked := 0, 0
			for id, truth := range want {
				a := awaitAnswer(t, obs, id, 60*time.Second)
				q := qs[mustIndex(t, id)]
				require.Equal(t, q.text, a.Question, "the answer to %s repeats its question", id)
				require.Equal(t, shapes.Name, a.Model)
				require.Zero(t, a.TrimmedTurns)
				require.False(t, a.FrameTime.IsZero(), "the answer names the frame it looked at")
				if norm(a.Text) == truth {
					right++
				} else {
					t.Logf("%q: answered %q, truth %q", q.text, a.Text, truth)
				}
				if q.reliable {
					checked++
					require.Equal(t, truth, norm(a.Text), "ask %s: %q", id, q.text)
				}
			}
			require.Positive(t, checked)
			t.Logf("%s: %d of %d answers right", tc.scene.Caption(), right, len(want))
			require.Len(t, obs.on("answer"), len(want), "one answer per ask")
			require.Empty(t, obs.on("error"), "no errors for valid asks")
		})
	}
}

func mustIndex(t *testing.T, id string) int {
	t.Helper()
	var i int
	_, err := fmt.Sscanf(id, "q%d", &i)
	require.NoError(t, err)
	return i
}

// A session keeps the chat's context: "what color is it?" after "what shape is on the
// left?" asks about the left shape, and after "…on the right?" in another session about
// the right one, with the two sessions' turns interleaved. (The model answers such chats
// right every time; the first turns are logged only, see questions.)
func TestChatSessions(t *testing.T) {
	l := twoShapes()
	obs := startAsker(t, l, nil)
	left, right := l.Shapes[0], l.Shapes[1]
	require.NotEqual(t, left.Color, right.Color, "the scene must tell the two referents apart")
	turns := []struct {
		id, session, question, want string
		strict                      bool
	}{
		{"a1", "left-chat", "what shape is on the left?", left.Kind, false},
		{"b1", "right-chat", "what shape is on the right?", right.Kind, false},
		{"a2", "left-chat", "what color is it?", left.Color, true},
		{"b2", "right-chat", "what color is it?", right.Color, true},
	}
	for _, tc := range turns {
		// One at a time: the second turn of a session needs the first one's answer.
		ask(t, obs, tc.id, tc.question, tc.session)
		a := awaitAnswer(t, obs, tc.id, 60*time.Second)
		t.Logf("session %s: %q → %q (truth %q)", tc.session, tc.question, a.Text, tc.want)
		require.Equal(t, tc.session, a.Session, "ask %s", tc.id)
		require.Equal(t, 0, a.TrimmedTurns, "ask %s: a two-turn chat fits the context", tc.id)
		if tc.strict {
			require.Equal(t, tc.want, norm(a.Text), "ask %s in session %s: %q", tc.id, tc.session, tc.question)
		}
	}
}
