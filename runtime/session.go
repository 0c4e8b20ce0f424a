package runtime

import (
	"fmt"
	"strings"
)

// Turn is one finished question and answer of a chat.
type Turn struct {
	Question, Answer string
}

// Session is a multi-turn chat about one image, formatted the way BLIP-2 was taught:
// "Question: {q} Answer: {a}." for past turns, joined by spaces, then
// "Question: {q} Answer:" for the new one.
type Session struct {
	Turns []Turn
}

// FormatQuestion is the single-turn VQA prompt.
func FormatQuestion(q string) string {
	return "Question: " + strings.TrimSpace(q) + " Answer:"
}

func formatTurns(turns []Turn, q string) string {
	var b strings.Builder
	for _, t := range turns {
		fmt.Fprintf(&b, "Question: %s Answer: %s. ", strings.TrimSpace(t.Question), strings.TrimSuffix(strings.TrimSpace(t.Answer), "."))
	}
	b.WriteString(FormatQuestion(q))
	return b.String()
}

// Prompt formats the chat with question q, dropping the oldest turns until fits says the
// prompt fits the context. It returns the prompt and how many turns were dropped; when
// even the question alone does not fit, it returns an error wrapping ErrContext.
func (s *Session) Prompt(q string, fits func(prompt string) (bool, error)) (string, int, error) {
	for drop := 0; drop <= len(s.Turns); drop++ {
		p := formatTurns(s.Turns[drop:], q)
		ok, err := fits(p)
		if err != nil {
			return "", 0, err
		}
		if ok {
			return p, drop, nil
		}
	}
	return "", 0, fmt.Errorf("%w: the question alone is too long", ErrContext)
}

// Add records a finished turn; turns dropped to fit are forgotten too, so the session
// never grows past what the context holds.
func (s *Session) Add(q, a string, dropped int) {
	s.Turns = append(s.Turns[dropped:], Turn{Question: q, Answer: a})
}
