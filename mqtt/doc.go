// Package mqtt connects the edge runtime to an MQTT broker: it publishes
// captions, answers, status and errors as JSON, and receives questions
// ("asks") from robots and other clients.
//
// A Client owns one paho connection and its own reconnect loop with backoff.
// Everything it publishes goes through a bounded queue drained by a single
// goroutine: Publish* methods and paho callbacks only enqueue, so a slow or
// absent broker never blocks the caller, and when the queue is full the
// oldest message is dropped and counted. While the broker is away messages
// wait in the queue; after a reconnect the client re-subscribes, re-announces
// its status (the broker may have published the "offline" last will) and
// sends what is queued.
//
// When Config.Broker is empty, New starts an embedded broker (mochi-mqtt)
// so that a single device works with no infrastructure.
//
// Topics and payloads are documented in docs/mqtt.md.
//
// Its room in docs/architecture.md: transports: imports nothing of the project (it knows payloads, not the model).
package mqtt
