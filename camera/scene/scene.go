// Package scene renders the synthetic scenes the embedded shapes model was trained on
// (one or two coloured circles, squares or triangles on a plain background), and knows
// the true caption and answers for each, so tests and demos can check the model.
//
// Its room in docs/architecture.md: devices: imports nothing of the project.
package scene

import (
	"fmt"
	"math/rand/v2"
)

// BaseSize is the side of the scenes the model was trained on; larger renders scale it.
const BaseSize = 224

// Shape is one shape of a scene, in 224×224 coordinates.
type Shape struct {
	Kind  string  // circle, square or triangle
	Color string  // one of Colors
	CX    float64 // centre x
	CY    float64 // centre y
	R     float64 // radius (half side for squares is 0.85·R)
}

// Layout is a whole scene: a background and one or two shapes, left shape first.
type Layout struct {
	Background string // white, black or gray
	Shapes     []Shape
}

// Kinds are the shapes the model knows.
var kinds = [...]string{"circle", "square", "triangle"}

// The background and shape colours, as the training renderer used them.
var backgrounds = map[string][3]uint8{
	"white": {240, 240, 240},
	"black": {18, 18, 18},
	"gray":  {125, 125, 125},
}

var shapeColors = map[string][3]uint8{
	"red":    {220, 35, 35},
	"green":  {40, 170, 50},
	"blue":   {35, 70, 220},
	"yellow": {240, 215, 40},
	"purple": {140, 45, 180},
	"orange": {245, 140, 30},
}

// Fixed orders so Random is reproducible (map order is not).
var backgroundNames = [...]string{"white", "black", "gray"}
var colorNames = [...]string{"red", "green", "blue", "yellow", "purple", "orange"}

// Kinds returns the shape kinds the model knows.
func Kinds() []string { return kinds[:] }

// Colors returns the shape colour names the model knows.
func Colors() []string { return colorNames[:] }

// Backgrounds returns the background names the model knows.
func Backgrounds() []string { return backgroundNames[:] }

// Random draws a scene the way the training set was drawn: one or two shapes with equal
// odds, kind, colour and background uniform, positions and radii uniform integers in the
// ranges of the training renderer (the demo fixtures' layouts are integers too).
func Random(rng *rand.Rand) Layout {
	l := Layout{Background: backgroundNames[rng.IntN(len(backgroundNames))]}
	pick := func(cxLo, cxHi, cyLo, cyHi, rLo, rHi int) Shape {
		return Shape{
			Kind:  kinds[rng.IntN(len(kinds))],
			Color: colorNames[rng.IntN(len(colorNames))],
			CX:    float64(cxLo + rng.IntN(cxHi-cxLo+1)),
			CY:    float64(cyLo + rng.IntN(cyHi-cyLo+1)),
			R:     float64(rLo + rng.IntN(rHi-rLo+1)),
		}
	}
	if rng.IntN(2) == 0 {
		l.Shapes = []Shape{pick(72, 152, 72, 152, 30, 50)}
		return l
	}
	l.Shapes = []Shape{pick(46, 82, 62, 162, 24, 38), pick(142, 178, 62, 162, 24, 38)}
	return l
}

// Validate reports whether the layout uses only names the model knows and has one or two
// shapes with a positive radius.
func (l Layout) Validate() error {
	if _, ok := backgrounds[l.Background]; !ok {
		return fmt.Errorf("scene: unknown background %q", l.Background)
	}
	if n := len(l.Shapes); n != 1 && n != 2 {
		return fmt.Errorf("scene: %d shapes, want 1 or 2", n)
	}
	for i, s := range l.Shapes {
		if !isKind(s.Kind) {
			return fmt.Errorf("scene: shape %d: unknown kind %q", i, s.Kind)
		}
		if _, ok := shapeColors[s.Color]; !ok {
			return fmt.Errorf("scene: shape %d: unknown colour %q", i, s.Color)
		}
		if !(s.R > 0) {
			return fmt.Errorf("scene: shape %d: radius %v must be positive", i, s.R)
		}
	}
	return nil
}

// Equal reports whether two layouts describe the same scene.
func (l Layout) Equal(o Layout) bool {
	if l.Background != o.Background || len(l.Shapes) != len(o.Shapes) {
		return false
	}
	for i := range l.Shapes {
		if l.Shapes[i] != o.Shapes[i] {
			return false
		}
	}
	return true
}

func isKind(k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}
