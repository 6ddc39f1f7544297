//go:build race

package auth

// raceEnabled lets the bcrypt tests at real costs step aside under the race
// detector, which slows Blowfish down some fiftyfold and has nothing to find
// in single-goroutine hashing.
const raceEnabled = true
