// Package shapes ships the project's default model: a small BLIP-2 (ViT → Q-Former →
// OPT, 5.5 M parameters) trained on synthetic scenes of coloured shapes. It is embedded in
// the binary so `edge` works with no download.
//
// Its room in docs/architecture.md: model: the embedded model's files; imports nothing of the project.
package shapes

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Name is the model's folder name.
const Name = "blip2-shapes-opt"

//go:embed blip2-shapes-opt
var files embed.FS

// Dir returns a folder holding the model: the repository copy when running from a
// checkout is not assumed; the embedded files are written once to the user's cache
// folder (atomically, by renaming a complete temporary folder) and reused.
func Dir() (string, error) {
	sum, err := digest()
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	// The version goes in the parent folder so the model folder keeps its own name.
	dir := filepath.Join(base, "edge", sum[:12], Name)
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("embedded model: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), Name+".tmp-")
	if err != nil {
		return "", fmt.Errorf("embedded model: %w", err)
	}
	defer os.RemoveAll(tmp)
	entries, err := fs.ReadDir(files, Name)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		data, err := files.ReadFile(Name + "/" + e.Name())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), data, 0o644); err != nil {
			return "", fmt.Errorf("embedded model: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process may have finished first.
		if _, statErr := os.Stat(filepath.Join(dir, "config.json")); statErr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("embedded model: %w", err)
	}
	return dir, nil
}

// digest names the embedded files' version so a changed model gets a new cache folder.
func digest() (string, error) {
	h := sha256.New()
	entries, err := fs.ReadDir(files, Name)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s:%d;", e.Name(), info.Size())
		if e.Name() == "config.json" || e.Name() == "model.safetensors.index.json" {
			data, _ := files.ReadFile(Name + "/" + e.Name())
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
