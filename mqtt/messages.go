package mqtt

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what an ask may hold. A payload over MaxAskBytes is refused
// before it is decoded.
const (
	MaxAskBytes      = 16 << 10
	MaxQuestionBytes = 2000
	MaxIDBytes       = 200 // for Ask.ID and Ask.Session
	// ErrorPayloadBytes is how much of a refused payload an Error echoes.
	ErrorPayloadBytes = 200
)

// Device states carried by Status.State.
const (
	StateOnline  = "online"
	StateOffline = "offline"
	StateWorking = "working"
	StateError   = "error"
	// StateLoading: the model is loading; Stats say how far (loaded_fraction).
	StateLoading = "loading"
)

// Caption is one description of a camera frame, published on
// <prefix>/<device>/caption.
type Caption struct {
	Text      string    `json:"text"`
	TokenIDs  []int     `json:"token_ids,omitempty"`
	Model     string    `json:"model"`
	Prompt    string    `json:"prompt,omitempty"`
	FrameTime time.Time `json:"frame_time"`
	// Seq numbers the frames described, one per caption made.
	Seq uint64 `json:"seq"`
	// LatencyMS maps a stage ("preprocess", "image", "prefill", "decode",
	// "total") to milliseconds.
	LatencyMS map[string]float64 `json:"latency_ms,omitempty"`
	// Dropped counts captions made since the previous published one that
	// were never published (the client adds the ones its queue dropped
	// while the broker was away to what the caller set), so that
	// Seq - previous Seq - 1 == Dropped.
	Dropped uint64 `json:"dropped"`
}

// Ask is a question received on <prefix>/<device>/ask.
type Ask struct {
	// ID is chosen by the asker and echoed in the Answer or Error.
	ID       string `json:"id"`
	Question string `json:"question"`
	// Session, when set, continues a chat: earlier turns of the same
	// session are part of the context.
	Session string `json:"session,omitempty"`
	// Client, when set, names the asker for the per-client rate limit.
	Client string `json:"client,omitempty"`
}

// Answer replies to an Ask, published on <prefix>/<device>/answer.
type Answer struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Text     string `json:"text"`
	TokenIDs []int  `json:"token_ids,omitempty"`
	Session  string `json:"session,omitempty"`
	// TrimmedTurns counts the oldest chat turns left out to fit the
	// context.
	TrimmedTurns int                `json:"trimmed_turns"`
	Model        string             `json:"model"`
	FrameTime    time.Time          `json:"frame_time"`
	Seq          uint64             `json:"seq"`
	LatencyMS    map[string]float64 `json:"latency_ms,omitempty"`
}

// Status is the device's state, published retained on
// <prefix>/<device>/status. The last will is {"state":"offline"}.
type Status struct {
	State   string         `json:"state"` // StateOnline, StateOffline, StateWorking, StateError or StateLoading
	Model   string         `json:"model,omitempty"`
	Version string         `json:"version,omitempty"`
	Board   string         `json:"board,omitempty"`
	Time    time.Time      `json:"time,omitzero"`
	Stats   map[string]any `json:"stats,omitempty"`
}

// Error reports a failure, published on <prefix>/<device>/error.
type Error struct {
	// ID is the ask's ID when an ask caused the error.
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
	// Payload holds the first ErrorPayloadBytes of what was received.
	Payload string `json:"payload,omitempty"`
}

// Reasons ParseAsk refuses a payload; test with errors.Is.
var (
	ErrAskTooLarge      = errors.New("ask payload too large")
	ErrAskNotJSON       = errors.New("ask is not a JSON object")
	ErrAskNoID          = errors.New("ask has no id")
	ErrAskNoQuestion    = errors.New("ask has no question")
	ErrAskFieldTooLarge = errors.New("ask field too large")
	ErrAskRetained      = errors.New("ask was retained")
)

// ParseAsk decodes and checks an ask. The question is returned without
// surrounding white space. On error the Ask holds the ID when one could be
// read, so that the reply can name it.
func ParseAsk(payload []byte) (Ask, error) {
	if len(payload) > MaxAskBytes {
		return Ask{}, fmt.Errorf("%w: %d bytes, limit %d", ErrAskTooLarge, len(payload), MaxAskBytes)
	}
	var a Ask
	if err := json.Unmarshal(payload, &a); err != nil {
		return Ask{}, fmt.Errorf("%w (want {\"id\":\"…\",\"question\":\"…\"}): %w", ErrAskNotJSON, err)
	}
	switch {
	case a.ID == "":
		return Ask{}, fmt.Errorf("%w: the field \"id\" is missing or empty", ErrAskNoID)
	case len(a.ID) > MaxIDBytes:
		return Ask{}, fmt.Errorf("%w: id is %d bytes, limit %d", ErrAskFieldTooLarge, len(a.ID), MaxIDBytes)
	}
	id := Ask{ID: a.ID}
	a.Question = strings.TrimSpace(a.Question)
	switch {
	case a.Question == "":
		return id, fmt.Errorf("%w: ask %q: the field \"question\" is missing or blank", ErrAskNoQuestion, a.ID)
	case len(a.Question) > MaxQuestionBytes:
		return id, fmt.Errorf("%w: ask %q: question is %d bytes, limit %d", ErrAskFieldTooLarge, a.ID, len(a.Question), MaxQuestionBytes)
	case len(a.Client) > MaxIDBytes:
		return id, fmt.Errorf("%w: ask %q: client is %d bytes, limit %d", ErrAskFieldTooLarge, a.ID, len(a.Client), MaxIDBytes)
	case len(a.Session) > MaxIDBytes:
		return id, fmt.Errorf("%w: ask %q: session is %d bytes, limit %d", ErrAskFieldTooLarge, a.ID, len(a.Session), MaxIDBytes)
	}
	return a, nil
}

// errorFor builds the Error message for a refused payload.
func errorFor(id string, err error, payload []byte) Error {
	return Error{ID: id, Error: err.Error(), Payload: headOf(payload, ErrorPayloadBytes)}
}

// headOf returns at most n bytes of b, cut at a rune boundary when b is
// UTF-8, so that the JSON string does not end in a broken character.
func headOf(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > n-utf8.UTFMax && cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	if cut <= n-utf8.UTFMax {
		cut = n // not UTF-8 here: keep the bytes, JSON replaces them
	}
	return string(b[:cut])
}

func validState(s string) bool {
	switch s {
	case StateOnline, StateOffline, StateWorking, StateError, StateLoading:
		return true
	}
	return false
}
