//go:build soak

package tests

import "time"

// defaultSoakDuration is the soak that `make soak` runs unless told otherwise.
const defaultSoakDuration = 10 * time.Minute
