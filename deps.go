//go:build tools

// This file pins the project's dependencies before the code that uses them lands.
package edge

import (
	_ "github.com/ebitengine/purego"
	_ "github.com/eclipse/paho.mqtt.golang"
	_ "github.com/mochi-mqtt/server/v2"
	_ "github.com/stretchr/testify/require"
	_ "go.yaml.in/yaml/v3"
	_ "gocv.io/x/gocv"
	_ "golang.org/x/sys/cpu"
	_ "periph.io/x/conn/v3/gpio"
	_ "periph.io/x/host/v3/gpioioctl"
)
