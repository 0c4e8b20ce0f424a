package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Asks that break the rules each get an error on the error topic, naming the ask when
// its id could be read and echoing the start of the payload, and the device goes on
// answering valid asks.
func TestMalformedAsks(t *testing.T) {
	big, err := json.Marshal(map[string]string{"id": "big", "question": strings.Repeat("what color is it? ", 1<<20/18)})
	require.NoError(t, err)
	require.Greater(t, len(big), 1<<20-100, "a question of about 1 MB")
	cases := []struct {
		name     string
		payload  []byte
		retained bool
		id       string // the id the error names ("" when it cannot be read)
		reason   string // part of the error text
	}{
		{"not JSON", []byte("what color is the background?"), false, "", "not a JSON object"},
		{"JSON array", []byte(`["id","question"]`), false, "", "not a JSON object"},
		{"no question", []byte(`{"id":"m1"}`), false, "m1", "no question"},
		{"blank question", []byte(`{"id":"m2","question":"   "}`), false, "m2", "no question"},
		{"no id", []byte(`{"question":"how many shapes are there?"}`), false, "", "no id"},
		{"1 MB question", big, false, "", "too large"},
		{"retained", []byte(`{"id":"m3","question":"how many shapes are there?"}`), true, "m3", "retain"},
	}
	// A retained ask is refused when the broker replays it to a new subscription, so it is
	// published before the device starts. (One published while the device is subscribed
	// reaches it with the retain flag cleared, as MQTT 3.1.1 §3.3.1.3 says, and is a
	// plain ask.)
	obs := startAsker(t, twoShapes(), func(obs *observer) {
		for _, tc := range cases {
			if tc.retained {
				obs.publish("edge/cam1/ask", true, tc.payload)
			}
		}
	})
	for _, tc := range cases {
		if !tc.retained {
			obs.publish("edge/cam1/ask", false, tc.payload)
		}
	}
	// Asked after all the bad ones: it is answered once they have been refused.
	ask(t, obs, "after", "how many shapes are there?", "")
	a := awaitAnswer(t, obs, "after", 60*time.Second)
	require.Equal(t, "two", norm(a.Text))

	msgs := obs.await("error", 10*time.Second, fmt.Sprintf("%d errors", len(cases)), atLeast(len(cases)))
	errs := decodeAll[errorMsg](t, msgs)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			head := tc.payload[:min(len(tc.payload), 200)]
			var found *errorMsg
			for i := range errs {
				if errs[i].Payload == string(head) {
					found = &errs[i]
				}
			}
			require.NotNil(t, found, "an error echoing the payload %.60q…", head)
			require.Equal(t, tc.id, found.ID)
			require.Contains(t, found.Error, tc.reason)
		})
	}
	require.Len(t, errs, len(cases), "one error per bad ask")
	for _, a := range decodeAll[answer](t, obs.on("answer")) {
		require.Equal(t, "after", a.ID, "only the valid ask is answered")
	}
}
