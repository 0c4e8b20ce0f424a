package scene

import (
	"strings"
)

// Caption is the caption the model was taught for l, for example
// "a green square and an orange triangle on a gray background" (left shape first).
func (l Layout) Caption() string {
	var b strings.Builder
	for i, s := range l.Shapes {
		if i > 0 {
			b.WriteString(" and ")
		}
		b.WriteString(article(s.Color))
		b.WriteString(" ")
		b.WriteString(s.Color)
		b.WriteString(" ")
		b.WriteString(s.Kind)
	}
	b.WriteString(" on ")
	b.WriteString(article(l.Background))
	b.WriteString(" ")
	b.WriteString(l.Background)
	b.WriteString(" background")
	return b.String()
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// Answer gives the true answer to a question the model was taught, as the model should
// say it ("blue", "two", "yes", "triangle"). It takes a bare question ("what color is the
// circle?") or a model prompt with earlier turns ("Question: what shape is on the left?
// Answer: square. Question: what color is it? Answer:"), where "it" refers to the shape the
// previous question asked about. It returns false for a question it does not know or that
// has no single answer for this scene (the colour of "the circle" when there are two).
func (l Layout) Answer(question string) (string, bool) {
	turns := splitTurns(question)
	if len(turns) == 0 {
		return "", false
	}
	// "it" is the shape the latest earlier question singled out; with one shape, that one.
	it := -1
	if len(l.Shapes) == 1 {
		it = 0
	}
	for _, q := range turns[:len(turns)-1] {
		if i := l.referent(q); i >= 0 {
			it = i
		}
	}
	return l.answerOne(turns[len(turns)-1], it)
}

// splitTurns turns a prompt into its questions, normalised: lower case, no "?",
// single spaces, earlier answers dropped.
func splitTurns(prompt string) []string {
	var out []string
	for _, part := range strings.Split(strings.ToLower(prompt), "question:") {
		if i := strings.Index(part, "answer:"); i >= 0 {
			part = part[:i]
		}
		q := strings.Join(strings.Fields(strings.NewReplacer("?", " ", ".", " ").Replace(part)), " ")
		if q != "" {
			out = append(out, q)
		}
	}
	return out
}

// referent is the index of the shape a question singles out, or -1.
func (l Layout) referent(q string) int {
	switch q {
	case "what shape is on the left", "what color is the shape on the left":
		if len(l.Shapes) == 2 {
			return 0
		}
	case "what shape is on the right", "what color is the shape on the right":
		if len(l.Shapes) == 2 {
			return 1
		}
	case "what shape is it", "how many shapes are there":
		if len(l.Shapes) == 1 {
			return 0
		}
	}
	if kind, ok := strings.CutPrefix(q, "what color is the "); ok {
		return l.only(kind)
	}
	return -1
}

// only is the index of the single shape of this kind, or -1 when there is none or several.
func (l Layout) only(kind string) int {
	found := -1
	for i, s := range l.Shapes {
		if s.Kind == kind {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

func (l Layout) answerOne(q string, it int) (string, bool) {
	two := len(l.Shapes) == 2
	switch q {
	case "what color is the background":
		return l.Background, l.Background != ""
	case "how many shapes are there":
		switch len(l.Shapes) {
		case 1:
			return "one", true
		case 2:
			return "two", true
		}
		return "", false
	case "what shape is on the left":
		if two {
			return l.Shapes[0].Kind, true
		}
		return "", false
	case "what shape is on the right":
		if two {
			return l.Shapes[1].Kind, true
		}
		return "", false
	case "what color is the shape on the left":
		if two {
			return l.Shapes[0].Color, true
		}
		return "", false
	case "what color is the shape on the right":
		if two {
			return l.Shapes[1].Color, true
		}
		return "", false
	case "what shape is it":
		if it >= 0 {
			return l.Shapes[it].Kind, true
		}
		return "", false
	case "what color is it":
		if it >= 0 {
			return l.Shapes[it].Color, true
		}
		return "", false
	}
	if kind, ok := strings.CutPrefix(q, "is there a "); ok && isKind(kind) {
		if l.count(kind) > 0 {
			return "yes", true
		}
		return "no", true
	}
	if kind, ok := strings.CutPrefix(q, "what color is the "); ok && isKind(kind) {
		if i := l.only(kind); i >= 0 {
			return l.Shapes[i].Color, true
		}
	}
	return "", false
}

func (l Layout) count(kind string) int {
	n := 0
	for _, s := range l.Shapes {
		if s.Kind == kind {
			n++
		}
	}
	return n
}
