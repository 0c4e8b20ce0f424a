package mqtt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	d := Config{DeviceID: "cam1"}.withDefaults()
	require.Equal(t, DefaultPrefix, d.Prefix)
	require.Equal(t, "edge-cam1", d.ClientID)
	require.Equal(t, 1, d.QoS)
	require.Equal(t, DefaultQueueSize, d.QueueSize)
	require.Equal(t, DefaultReconnectMin, d.ReconnectMin)
	require.Equal(t, DefaultReconnectMax, d.ReconnectMax)
	require.Equal(t, DefaultEmbeddedAddr, d.EmbeddedAddr)
	require.NotNil(t, d.Logger)
	require.NoError(t, Config{}.Validate(), "the zero config is valid: embedded broker, defaults")
	require.NotEmpty(t, Config{}.withDefaults().DeviceID, "host name")
	// ReconnectMax follows a ReconnectMin set above its default.
	require.Equal(t, 2*time.Minute, Config{ReconnectMin: 2 * time.Minute}.withDefaults().ReconnectMax)
}

func TestTopics(t *testing.T) {
	got := Config{Prefix: "site/a", DeviceID: "cam1"}.Topics()
	require.Equal(t, Topics{
		Caption: "site/a/cam1/caption",
		Answer:  "site/a/cam1/answer",
		Status:  "site/a/cam1/status",
		Error:   "site/a/cam1/error",
		Ask:     "site/a/cam1/ask",
		Trigger: "site/a/cam1/trigger",
	}, got)
}

func TestConfigValidate(t *testing.T) {
	ok := Config{DeviceID: "cam1"}
	cases := []struct {
		name   string
		edit   func(*Config)
		wantIn string // "" means valid
	}{
		{"tcp", func(c *Config) { c.Broker = "tcp://broker.local:1883" }, ""},
		{"ws", func(c *Config) { c.Broker = "ws://broker.local:8080/mqtt" }, ""},
		{"ssl with CA", func(c *Config) { c.Broker = "ssl://broker.local:8883"; c.TLS.CAFile = "ca.pem" }, ""},
		{"qos 2", func(c *Config) { c.QoS = 2 }, ""},
		{"bad scheme", func(c *Config) { c.Broker = "http://broker.local" }, "Broker"},
		{"no host", func(c *Config) { c.Broker = "tcp://:1883" }, "Broker"},
		{"unparsable", func(c *Config) { c.Broker = "tcp://a b:1883" }, "Broker"},
		{"TLS on tcp", func(c *Config) { c.Broker = "tcp://h:1883"; c.TLS.CAFile = "ca.pem" }, "TLS"},
		{"TLS on embedded", func(c *Config) { c.TLS.InsecureSkipVerify = true }, "TLS"},
		{"cert without key", func(c *Config) { c.Broker = "ssl://h:8883"; c.TLS.CertFile = "c.pem" }, "TLS.KeyFile"},
		{"qos 3", func(c *Config) { c.QoS = 3 }, "QoS"},
		{"qos -1", func(c *Config) { c.QoS = -1 }, "QoS"},
		{"password without user", func(c *Config) { c.Password = "x" }, "Password"},
		{"prefix wildcard", func(c *Config) { c.Prefix = "edge/#" }, "Prefix"},
		{"prefix $", func(c *Config) { c.Prefix = "$SYS" }, "Prefix"},
		{"prefix empty level", func(c *Config) { c.Prefix = "a//b" }, "Prefix"},
		{"device with slash", func(c *Config) { c.DeviceID = "a/b" }, "DeviceID"},
		{"device with plus", func(c *Config) { c.DeviceID = "a+" }, "DeviceID"},
		{"keepalive too short", func(c *Config) { c.KeepAlive = time.Millisecond }, "KeepAlive"},
		{"negative connect timeout", func(c *Config) { c.ConnectTimeout = -time.Second }, "ConnectTimeout"},
		{"max below min", func(c *Config) { c.ReconnectMin = time.Second; c.ReconnectMax = time.Millisecond }, "ReconnectMax"},
		{"negative queue", func(c *Config) { c.QueueSize = -1 }, "QueueSize"},
		{"negative ask queue", func(c *Config) { c.AskQueueSize = -1 }, "AskQueueSize"},
		{"negative close timeout", func(c *Config) { c.CloseTimeout = -1 }, "CloseTimeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.wantIn == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.wantIn)
			_, err = New(context.Background(), c)
			require.Error(t, err, "New validates too")
		})
	}
}

func TestClientTLSFiles(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := testPKI(t, dir)
	cfg, err := clientTLS("tcp://h:1883", TLSConfig{})
	require.NoError(t, err)
	require.Nil(t, cfg, "no TLS for tcp://")

	cfg, err = clientTLS("ssl://h:8883", TLSConfig{CAFile: ca, CertFile: cert, KeyFile: key})
	require.NoError(t, err)
	require.NotNil(t, cfg.RootCAs)
	require.Len(t, cfg.Certificates, 1)

	_, err = clientTLS("ssl://h:8883", TLSConfig{CAFile: dir + "/missing.pem"})
	require.ErrorContains(t, err, "TLS.CAFile")
	_, err = clientTLS("ssl://h:8883", TLSConfig{CAFile: key})
	require.ErrorContains(t, err, "no PEM certificate")
	_, err = clientTLS("wss://h/mqtt", TLSConfig{CertFile: cert, KeyFile: ca})
	require.ErrorContains(t, err, "TLS.KeyFile")
}
