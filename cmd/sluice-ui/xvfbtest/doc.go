// Package xvfbtest opens every window of the real sluice-ui binary against
// a seeded sluice daemon under Xvfb and saves a screenshot of each to
// out/screenshots/. It lives apart from package main so that the race-built
// test binary does not link Fyne's OpenGL driver; the programs it drives are
// built with the release flags instead.
package xvfbtest
