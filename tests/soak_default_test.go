//go:build !soak

package tests

import "time"

// defaultSoakDuration is the short soak that `make test` runs; `make soak` (tag soak)
// runs a long one.
const defaultSoakDuration = 2 * time.Minute
