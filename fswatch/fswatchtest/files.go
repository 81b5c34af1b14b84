// Package fswatchtest changes files the ways that watchers of them must
// notice: written in place, replaced by rename, swapped through a
// symbolic link. For tests only; every helper fails the test on error.
package fswatchtest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes text to path in place (truncate, write, close),
// creating its directory if needed.
func WriteFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReplaceFile writes path the way editors and config pushers do: a new
// file renamed over the old one.
func ReplaceFile(t testing.TB, path, text string) {
	t.Helper()
	WriteFile(t, path+".tmp", text)
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// Symlink makes link point to target.
func Symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
