package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/preprocess"
)

// stillCamera is a camera loop whose latest frame stays one picture.
type stillCamera struct{ f Frame }

func (c stillCamera) LatestFrame() (Frame, bool)               { return c.f, true }
func (c stillCamera) LatestCaption() (string, time.Time, bool) { return "", time.Time{}, false }

// Questions about the camera's latest frame share its image prefix: two asks about one
// frame run the image path once and answer as `edge ask` does about that picture; a
// new frame runs it again.
func TestCameraQuestionsShareTheFramePrefix(t *testing.T) {
	m := model(t)
	img, err := preprocess.DecodeFile(demo(3))
	require.NoError(t, err)
	cam := &stillCamera{f: Frame{Image: img, Seq: 7, Time: time.Now()}}
	s := New(Config{}, NewBLIP2(m, "shapes", nil), cam)
	h := httptest.NewServer(s)
	t.Cleanup(h.Close)
	e := &env{srv: s, http: h, m: m}

	ask := func(q string) string {
		t.Helper()
		resp, body := e.post(t, "/v1/chat/completions", "", oaiBody(q, CameraLatest, false))
		require.Equal(t, 200, resp.StatusCode, string(body))
		var out struct {
			Choices []struct {
				Message struct{ Content string }
			}
		}
		require.NoError(t, json.Unmarshal(body, &out))
		require.Len(t, out.Choices, 1)
		return out.Choices[0].Message.Content
	}
	runs := m.ImagePathRuns()
	for _, q := range []string{"what color is it?", "what shape is it?"} {
		got := ask(q)
		require.Equal(t, runs+1, m.ImagePathRuns(), "questions about one frame run the image path once")
		require.Equal(t, want(t, m, demo(3), q), got, q)
		runs = m.ImagePathRuns() - 1 // want ran it once more
	}
	other, err := preprocess.DecodeFile(demo(4))
	require.NoError(t, err)
	cam.f = Frame{Image: other, Seq: 8, Time: time.Now()}
	runs = m.ImagePathRuns()
	got := ask("what color is it?")
	require.Equal(t, runs+1, m.ImagePathRuns(), "a new frame runs the image path")
	require.Equal(t, want(t, m, demo(4), "what color is it?"), got)
}
