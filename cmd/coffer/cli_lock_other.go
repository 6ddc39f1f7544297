//go:build !unix

package main

// lockFile is a no-op where flock does not exist: concurrent refreshes
// there may sign the user out, and they sign in again.
func lockFile(string) (func(), error) { return func() {}, nil }
