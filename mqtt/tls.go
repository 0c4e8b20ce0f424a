package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
)

// clientTLS builds the TLS settings from the named files; nil when the
// broker URL does not use TLS.
func clientTLS(broker string, t TLSConfig) (*tls.Config, error) {
	if !brokerUsesTLS(broker) {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: t.InsecureSkipVerify, // #nosec G402 -- opt-in, documented as test-only
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: read TLS.CAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt: TLS.CAFile %s: no PEM certificate found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: load TLS.CertFile %s / TLS.KeyFile %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func brokerUsesTLS(broker string) bool {
	scheme, _, ok := strings.Cut(broker, "://")
	if !ok {
		return false
	}
	_, withTLS := brokerScheme(scheme)
	return withTLS
}
