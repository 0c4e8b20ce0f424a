package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

const mosquittoPasswd = "/usr/bin/mosquitto_passwd"

// testPKI writes a CA and a server certificate for 127.0.0.1 into dir and
// returns the file names.
func testPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	writePEM := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return path
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "edge test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	srvKey := newKey()
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	require.NoError(t, err)
	return writePEM("ca.pem", "CERTIFICATE", caDER),
		writePEM("server.pem", "CERTIFICATE", srvDER),
		writePEM("server.key", "PRIVATE KEY", keyDER)
}

// TestTLSWithPassword runs the round trip over TLS to a mosquitto that
// checks a password file, and checks that a wrong password and an unknown
// CA are refused.
func TestTLSWithPassword(t *testing.T) {
	if _, err := os.Stat(mosquittoBin); err != nil {
		t.Skipf("mosquitto not installed (%s: %v)", mosquittoBin, err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := testPKI(t, dir)
	conf := fmt.Sprintf("cafile %s\ncertfile %s\nkeyfile %s\n", caFile, certFile, keyFile)
	withPassword := true
	if _, err := os.Stat(mosquittoPasswd); err != nil {
		withPassword = false
		t.Logf("password part skipped: %s absent (%v); TLS is still tested", mosquittoPasswd, err)
		conf += "allow_anonymous true\n"
	} else {
		pw := filepath.Join(dir, "passwd")
		out, err := exec.Command(mosquittoPasswd, "-c", "-b", pw, "robot", "s3cret pass").CombinedOutput()
		require.NoError(t, err, "mosquitto_passwd: %s", out)
		conf += "allow_anonymous false\npassword_file " + pw + "\n"
	}
	m := startMosquitto(t, conf)
	url := "ssl://" + m.addr()

	cfg := testConfig(url)
	cfg.TLS.CAFile = caFile
	if withPassword {
		cfg.Username, cfg.Password = "robot", "s3cret pass"
	}
	topics := cfg.Topics()
	obs := newObserver(t, url, "observer", "edge/dev1/#", func(o *paho.ClientOptions) {
		tc, err := clientTLS(url, TLSConfig{CAFile: caFile})
		require.NoError(t, err)
		o.SetTLSConfig(tc)
		if withPassword {
			o.SetUsername("robot").SetPassword("s3cret pass")
		}
	})
	c := newTestClient(t, cfg)
	require.NoError(t, c.PublishCaption(sampleCaption(1)))
	var got Caption
	require.NoError(t, json.Unmarshal(obs.next(t, topics.Caption).Payload, &got))
	require.Equal(t, sampleCaption(1), got)
	obs.publish(t, topics.Ask, false, []byte(`{"id":"tls","question":"what shape is it?"}`))
	select {
	case a := <-c.Asks():
		require.Equal(t, "tls", a.ID)
	case <-time.After(5 * time.Second):
		t.Fatal("ask over TLS not delivered")
	}

	refused := func(t *testing.T, cfg Config, want string) {
		t.Helper()
		cfg.ClientID = "edge-refused"
		cfg.CloseTimeout = 100 * time.Millisecond
		c, err := New(context.Background(), cfg)
		require.NoError(t, err)
		defer func() { _ = c.Close() }()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = c.AwaitConnection(ctx)
		require.Error(t, err)
		require.Contains(t, err.Error(), want)
	}
	t.Run("wrong password", func(t *testing.T) {
		if !withPassword {
			t.Skipf("%s absent", mosquittoPasswd)
		}
		bad := cfg
		bad.Password = "guess"
		refused(t, bad, "not Authorized")
	})
	t.Run("unknown CA", func(t *testing.T) {
		bad := cfg
		bad.TLS.CAFile = ""
		refused(t, bad, "certificate")
	})
}
