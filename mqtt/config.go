package mqtt

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultPrefix         = "edge"
	DefaultQoS            = 1
	DefaultKeepAlive      = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultReconnectMin   = 1 * time.Second
	DefaultReconnectMax   = 60 * time.Second
	DefaultQueueSize      = 256
	DefaultAskQueueSize   = 16
	// Ask rate limits (see AskLimits).
	DefaultAskRatePerClient  = 2.0
	DefaultAskBurstPerClient = 20
	DefaultAskRateGlobal     = 5.0
	DefaultAskBurstGlobal    = 40
	DefaultPublishTimeout    = 10 * time.Second
	DefaultCloseTimeout      = 5 * time.Second
	DefaultEmbeddedAddr      = "127.0.0.1:1883"
)

// Config says where the client connects and how it behaves. The zero value
// of every field selects its default; Validate reports what is wrong.
type Config struct {
	// Broker is the broker URL: "tcp://host:1883" (or "mqtt://"), TLS as
	// "ssl://host:8883" (or "tls://", "mqtts://", "tcps://"), WebSocket as
	// "ws://host:80/mqtt" or "wss://…". Empty starts an embedded broker on
	// EmbeddedAddr and connects to it.
	Broker string `yaml:"broker"`
	// EmbeddedAddr is where the embedded broker listens when Broker is
	// empty. Default "127.0.0.1:1883"; a port of 0 picks a free one.
	EmbeddedAddr string `yaml:"embedded_addr"`
	// ClientID is the MQTT client identifier. Default "<Prefix>-<DeviceID>";
	// two clients with the same ID make the broker drop one of them.
	ClientID string `yaml:"client_id"`
	// Prefix is the first topic level(s). Default "edge".
	Prefix string `yaml:"prefix"`
	// DeviceID names this device in topics. Default: the host name.
	DeviceID string `yaml:"device_id"`
	// QoS for everything published and for the ask subscription: 1 (at
	// least once, the default) or 2 (exactly once). At-most-once is not
	// offered: the client counts a message published only when the broker
	// acknowledges it.
	QoS int `yaml:"qos"`
	// Username and Password authenticate to the broker (optional).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TLS applies to ssl://, tls://, mqtts://, tcps:// and wss:// brokers.
	TLS TLSConfig `yaml:"tls"`
	// KeepAlive is the MQTT keep-alive interval. Default 30 s.
	KeepAlive time.Duration `yaml:"keep_alive"`
	// ConnectTimeout bounds one connection attempt (dial, TLS, CONNECT).
	// Default 10 s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// ReconnectMin and ReconnectMax bound the wait between connection
	// attempts; it doubles after each failure. Defaults 1 s and 60 s.
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// QueueSize is how many outgoing messages wait while the broker is away;
	// beyond it the oldest are dropped and counted. Default 256.
	QueueSize int `yaml:"queue_size"`
	// AskQueueSize is how many valid asks wait for the reader of Asks();
	// beyond it asks are refused with an error message. Default 16.
	AskQueueSize int `yaml:"ask_queue_size"`
	// AskLimits rate-limits asks per asker and in all; excess asks get an error reply.
	// Defaults: 2/s with bursts of 20 per asker, 5/s with bursts of 40 in all; a
	// negative rate turns that limit off.
	AskLimits AskLimits `yaml:"ask_limits"`
	// PublishTimeout bounds the wait for one publish (or subscribe) to be
	// acknowledged. Default 10 s.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// CloseTimeout bounds how long Close waits for the queue to drain.
	// Default 5 s.
	CloseTimeout time.Duration `yaml:"close_timeout"`
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// TLSConfig names the files for a TLS connection. All are PEM.
type TLSConfig struct {
	// CAFile holds the certificates that verify the broker; empty uses the
	// system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client certificate and key, for brokers
	// that require one; set both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify accepts any broker certificate. For tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

func (t TLSConfig) isSet() bool {
	return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.InsecureSkipVerify
}

// Topics are the full topic names of one device.
type Topics struct {
	Caption string // published: Caption
	Answer  string // published: Answer
	Status  string // published, retained: Status; last will "offline"
	Error   string // published: Error
	Ask     string // subscribed: Ask
	Trigger string // subscribed: any payload asks for a description now
}

// Topics returns the topics this config publishes and subscribes to.
func (c Config) Topics() Topics {
	d := c.withDefaults()
	base := d.Prefix + "/" + d.DeviceID + "/"
	return Topics{
		Caption: base + "caption",
		Answer:  base + "answer",
		Status:  base + "status",
		Error:   base + "error",
		Ask:     base + "ask",
		Trigger: base + "trigger",
	}
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.EmbeddedAddr == "" {
		c.EmbeddedAddr = DefaultEmbeddedAddr
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.DeviceID == "" {
		c.DeviceID = hostDeviceID()
	}
	if c.ClientID == "" {
		c.ClientID = c.Prefix + "-" + c.DeviceID
	}
	if c.QoS == 0 {
		c.QoS = DefaultQoS
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = DefaultReconnectMin
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = max(DefaultReconnectMax, c.ReconnectMin)
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.AskQueueSize == 0 {
		c.AskQueueSize = DefaultAskQueueSize
	}
	if c.AskLimits.PerClientRate == 0 {
		c.AskLimits.PerClientRate = DefaultAskRatePerClient
	}
	if c.AskLimits.PerClientBurst == 0 {
		c.AskLimits.PerClientBurst = DefaultAskBurstPerClient
	}
	if c.AskLimits.GlobalRate == 0 {
		c.AskLimits.GlobalRate = DefaultAskRateGlobal
	}
	if c.AskLimits.GlobalBurst == 0 {
		c.AskLimits.GlobalBurst = DefaultAskBurstGlobal
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// hostDeviceID is the default DeviceID: the host name, with the characters
// a topic level cannot hold replaced.
func hostDeviceID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "device"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '+' || r == '#' || r == 0 {
			return '_'
		}
		return r
	}, h)
}

// brokerScheme says whether paho can open a broker URL scheme, and
// whether it does so with TLS.
func brokerScheme(scheme string) (known, withTLS bool) {
	switch strings.ToLower(scheme) {
	case "tcp", "mqtt", "ws":
		return true, false
	case "ssl", "tls", "mqtts", "tcps", "wss":
		return true, true
	}
	return false, false
}

// Validate checks the config, with defaults applied to zero fields, and
// names the first field that is wrong.
func (c Config) Validate() error {
	d := c.withDefaults()
	if err := validateBroker(d); err != nil {
		return err
	}
	if err := validateTopicLevels("Prefix", d.Prefix, true); err != nil {
		return err
	}
	if err := validateTopicLevels("DeviceID", d.DeviceID, false); err != nil {
		return err
	}
	checks := []struct {
		bad bool
		msg string
	}{
		{d.QoS != 1 && d.QoS != 2, fmt.Sprintf("QoS %d: must be 1 or 2 (0 selects the default, 1)", c.QoS)},
		{len(d.ClientID) > 65535, fmt.Sprintf("ClientID is %d bytes, over the MQTT limit of 65535", len(d.ClientID))},
		{d.Password != "" && d.Username == "", "Password is set but Username is empty (MQTT 3.1.1 needs a username with a password)"},
		{(d.TLS.CertFile == "") != (d.TLS.KeyFile == ""), fmt.Sprintf("TLS.CertFile %q and TLS.KeyFile %q: set both or neither", d.TLS.CertFile, d.TLS.KeyFile)},
		{d.KeepAlive < time.Second, fmt.Sprintf("KeepAlive %v: must be at least 1s", c.KeepAlive)},
		{d.ConnectTimeout < 0, fmt.Sprintf("ConnectTimeout %v: must not be negative", c.ConnectTimeout)},
		{d.ReconnectMin < 0, fmt.Sprintf("ReconnectMin %v: must not be negative", c.ReconnectMin)},
		{d.ReconnectMax < d.ReconnectMin, fmt.Sprintf("ReconnectMax %v: must not be below ReconnectMin %v", d.ReconnectMax, d.ReconnectMin)},
		{d.QueueSize < 1, fmt.Sprintf("QueueSize %d: must be positive", c.QueueSize)},
		{d.AskQueueSize < 1, fmt.Sprintf("AskQueueSize %d: must be positive", c.AskQueueSize)},
		{c.AskLimits.PerClientBurst < 0 || c.AskLimits.GlobalBurst < 0, fmt.Sprintf("AskLimits bursts %d, %d: must not be negative", c.AskLimits.PerClientBurst, c.AskLimits.GlobalBurst)},
		{d.PublishTimeout < 0, fmt.Sprintf("PublishTimeout %v: must not be negative", c.PublishTimeout)},
		{d.CloseTimeout < 0, fmt.Sprintf("CloseTimeout %v: must not be negative", c.CloseTimeout)},
	}
	for _, ch := range checks {
		if ch.bad {
			return errors.New("mqtt config: " + ch.msg)
		}
	}
	return nil
}

func validateBroker(d Config) error {
	if d.Broker == "" {
		if d.TLS.isSet() {
			return errors.New("mqtt config: TLS is set but Broker is empty (the embedded broker is plain TCP)")
		}
		if strings.TrimSpace(d.EmbeddedAddr) == "" {
			return errors.New("mqtt config: EmbeddedAddr is blank")
		}
		return nil
	}
	u, err := url.Parse(d.Broker)
	if err != nil {
		return fmt.Errorf("mqtt config: Broker %q: %w", d.Broker, err)
	}
	known, withTLS := brokerScheme(u.Scheme)
	if !known {
		return fmt.Errorf("mqtt config: Broker %q: scheme %q is not one of tcp, mqtt, ssl, tls, mqtts, tcps, ws, wss", d.Broker, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("mqtt config: Broker %q: no host", d.Broker)
	}
	if d.TLS.isSet() && !withTLS {
		return fmt.Errorf("mqtt config: TLS is set but Broker %q uses the plain scheme %q (use ssl:// or wss://)", d.Broker, u.Scheme)
	}
	return nil
}

// validateTopicLevels checks a value that becomes one (or, with multi,
// several) topic levels: no wildcards, no empty level, no '$' start.
func validateTopicLevels(field, v string, multi bool) error {
	switch {
	case v == "":
		return fmt.Errorf("mqtt config: %s is empty", field)
	case strings.ContainsAny(v, "+#\x00"):
		return fmt.Errorf("mqtt config: %s %q: must not contain '+', '#' or NUL", field, v)
	case strings.HasPrefix(v, "$"):
		return fmt.Errorf("mqtt config: %s %q: must not start with '$' (reserved for broker topics)", field, v)
	case !multi && strings.Contains(v, "/"):
		return fmt.Errorf("mqtt config: %s %q: must not contain '/'", field, v)
	}
	for _, level := range strings.Split(v, "/") {
		if level == "" {
			return fmt.Errorf("mqtt config: %s %q: has an empty topic level", field, v)
		}
	}
	return nil
}
