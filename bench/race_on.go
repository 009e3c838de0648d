//go:build race

package main

// raceBuild is true under the race detector, which slows training ~10×:
// the smoke run then shrinks further so `go test -race ./...` stays quick.
const raceBuild = true
