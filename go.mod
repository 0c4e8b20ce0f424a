module github.com/edgevlm/edge

go 1.26.0

require (
	github.com/ebitengine/purego v0.11.3
	github.com/eclipse/paho.mqtt.golang v1.5.1
	github.com/google/flatbuffers v25.12.19+incompatible
	github.com/mochi-mqtt/server/v2 v2.7.9
	github.com/stretchr/testify v1.12.1
	github.com/tphakala/go-tflite v0.2.1
	go.yaml.in/yaml/v3 v3.0.6
	gocv.io/x/gocv v0.32.0
	golang.org/x/sys v0.50.0
	golang.org/x/text v0.29.0
	periph.io/x/conn/v3 v3.7.3
	periph.io/x/host/v3 v3.8.5
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/mattn/go-pointer v0.0.1 // indirect
	github.com/rs/xid v1.4.0 // indirect
	golang.org/x/net v0.44.0 // indirect
	golang.org/x/sync v0.17.0 // indirect
)
