module github.com/edgevlm/edge/bench

go 1.26.0

require github.com/edgevlm/edge v0.0.0

require (
	github.com/google/flatbuffers v25.12.19+incompatible // indirect
	github.com/mattn/go-pointer v0.0.1 // indirect
	github.com/tphakala/go-tflite v0.2.1 // indirect
)

require (
	github.com/yalue/onnxruntime_go v1.27.0
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.29.0 // indirect
)

replace github.com/edgevlm/edge => ../
