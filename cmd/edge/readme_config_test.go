package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestReadmeConfigurationParses keeps the README's configuration reference true: the
// YAML block there must load with unknown keys refused, validate, and give the defaults
// it documents.
func TestReadmeConfigurationParses(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "README has a yaml block")
	path := filepath.Join(t.TempDir(), "edge.yaml")
	require.NoError(t, os.WriteFile(path, block[1], 0o644))
	cfg, err := loadRunConfig(path)
	require.NoError(t, err)
	var defaults = cfg
	defaults.Defaults()
	require.NoError(t, defaults.Validate())
	require.Equal(t, cfg, defaults, "the README's values are the defaults it says they are")
	require.Equal(t, "synthetic", cfg.Camera.Source)
	require.Equal(t, 5*time.Second, cfg.Schedule.Interval)
}

// TestReadmeCamerasParse keeps the README's several-cameras example true: it loads,
// validates, and gives each camera its own MQTT device id.
func TestReadmeCamerasParse(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)### Several cameras, one model.*?```yaml\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "README has a cameras example")
	path := filepath.Join(t.TempDir(), "edge.yaml")
	require.NoError(t, os.WriteFile(path, block[1], 0o644))
	cfg, err := loadRunConfig(path)
	require.NoError(t, err)
	cfg.Defaults()
	require.NoError(t, cfg.Validate())
	per := cfg.PerCamera()
	require.Len(t, per, 2)
	require.Equal(t, "door", per[0].MQTT.DeviceID)
	require.Equal(t, 10*time.Second, per[1].Camera.StallTimeout)
	require.Equal(t, 5*time.Second, per[0].Camera.StallTimeout, "an entry's unset fields get camera:'s defaults")
}
