package mqtt

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseAsk: any payload on the ask topic is either refused with an error or gives
// an ask within the documented limits; never a panic.
func FuzzParseAsk(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","question":"what color is the background?"}`,
		`{"id":"2","question":"  what shape is it?  ","session":"s1","client":"c1"}`,
		`{"id":"","question":"x"}`, `{"id":"3"}`, `{"id":3,"question":"x"}`, `[1,2]`, `{"id":`, "",
		`{"id":"4","question":"` + strings.Repeat("a", MaxQuestionBytes+1) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		a, err := ParseAsk(payload)
		if err != nil {
			if e := errorFor(a.ID, err, payload); len(e.Payload) > ErrorPayloadBytes {
				t.Fatalf("error reply quotes %d bytes of the payload, limit %d", len(e.Payload), ErrorPayloadBytes)
			}
			return
		}
		switch {
		case len(payload) > MaxAskBytes:
			t.Fatalf("accepted a %d-byte payload", len(payload))
		case a.ID == "" || len(a.ID) > MaxIDBytes:
			t.Fatalf("accepted id %q", a.ID)
		case a.Question == "" || len(a.Question) > MaxQuestionBytes || strings.TrimSpace(a.Question) != a.Question:
			t.Fatalf("accepted question %q", a.Question)
		case len(a.Session) > MaxIDBytes || len(a.Client) > MaxIDBytes:
			t.Fatalf("accepted session %q, client %q", a.Session, a.Client)
		}
		// What was accepted survives a round trip.
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseAsk(b)
		if err != nil || again != a {
			t.Fatalf("round trip of %+v: %+v, %v", a, again, err)
		}
	})
}
