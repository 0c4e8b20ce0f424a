package mqtt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAsk(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		want    Ask
		wantErr error
	}{
		{"plain", `{"id":"1","question":"what is it?"}`, Ask{ID: "1", Question: "what is it?"}, nil},
		{"session and unknown field", `{"id":"2","question":"and now?","session":"s","lang":"en"}`, Ask{ID: "2", Question: "and now?", Session: "s"}, nil},
		{"trimmed", "{\"id\":\"3\",\"question\":\"\\n what? \\t\"}", Ask{ID: "3", Question: "what?"}, nil},
		{"question at the limit", `{"id":"4","question":"` + strings.Repeat("a", MaxQuestionBytes) + `"}`, Ask{ID: "4", Question: strings.Repeat("a", MaxQuestionBytes)}, nil},
		{"empty payload", ``, Ask{}, ErrAskNotJSON},
		{"not JSON", `what is it?`, Ask{}, ErrAskNotJSON},
		{"array", `["what is it?"]`, Ask{}, ErrAskNotJSON},
		{"trailing garbage", `{"id":"5","question":"q"} x`, Ask{}, ErrAskNotJSON},
		{"id is a number", `{"id":5,"question":"q"}`, Ask{}, ErrAskNotJSON},
		{"null", `null`, Ask{}, ErrAskNoID},
		{"missing id", `{"question":"q"}`, Ask{}, ErrAskNoID},
		{"id too long", `{"id":"` + strings.Repeat("i", MaxIDBytes+1) + `","question":"q"}`, Ask{}, ErrAskFieldTooLarge},
		{"missing question", `{"id":"6"}`, Ask{ID: "6"}, ErrAskNoQuestion},
		{"blank question", `{"id":"7","question":"   "}`, Ask{ID: "7"}, ErrAskNoQuestion},
		{"question over the limit", `{"id":"8","question":"` + strings.Repeat("a", MaxQuestionBytes+1) + `"}`, Ask{ID: "8"}, ErrAskFieldTooLarge},
		{"session too long", `{"id":"9","question":"q","session":"` + strings.Repeat("s", MaxIDBytes+1) + `"}`, Ask{ID: "9"}, ErrAskFieldTooLarge},
		{"1 MB question", `{"id":"10","question":"` + strings.Repeat("a", 1<<20) + `"}`, Ask{}, ErrAskTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAsk([]byte(tc.payload))
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestHeadOf(t *testing.T) {
	cases := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"ascii cut", "abcdef", 4, "abcd"},
		{"cut inside é", "aé", 2, "a"},           // é is 2 bytes
		{"cut after é", "aéb", 3, "aé"},          //
		{"cut inside 4-byte rune", "a😀", 3, "a"}, // 😀 is 4 bytes
		{"not UTF-8", "\xff\xfe\xfd\xfc\xfb\xfa", 5, "\xff\xfe\xfd\xfc\xfb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, headOf([]byte(tc.in), tc.n))
		})
	}
}

// TestPayloadSchema pins the JSON field names that docs/mqtt.md documents.
func TestPayloadSchema(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"caption", Caption{Text: "t", TokenIDs: []int{1}, Model: "m", Prompt: "p", FrameTime: ts, Seq: 4, LatencyMS: map[string]float64{"total": 1.5}, Dropped: 2},
			`{"text":"t","token_ids":[1],"model":"m","prompt":"p","frame_time":"2026-01-02T03:04:05Z","seq":4,"latency_ms":{"total":1.5},"dropped":2}`},
		{"answer", Answer{ID: "i", Question: "q", Text: "t", TokenIDs: []int{1}, Session: "s", TrimmedTurns: 1, Model: "m", FrameTime: ts, Seq: 4, LatencyMS: map[string]float64{"total": 1}},
			`{"id":"i","question":"q","text":"t","token_ids":[1],"session":"s","trimmed_turns":1,"model":"m","frame_time":"2026-01-02T03:04:05Z","seq":4,"latency_ms":{"total":1}}`},
		{"status", Status{State: "working", Model: "m", Version: "v", Board: "b", Time: ts, Stats: map[string]any{"frames": 3}},
			`{"state":"working","model":"m","version":"v","board":"b","time":"2026-01-02T03:04:05Z","stats":{"frames":3}}`},
		{"will", Status{State: "offline"}, `{"state":"offline"}`},
		{"error", Error{ID: "i", Error: "e", Payload: "p"}, `{"id":"i","error":"e","payload":"p"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(b))
		})
	}
}
