// Package auth holds the credential primitives Coffer's HTTP layer builds
// on: signed JWT access tokens, opaque bearer tokens (personal, service and
// refresh tokens) stored only as hashes, bcrypt password hashing that costs
// the same for unknown accounts, and session-bound CSRF tokens.
//
// It knows nothing of users, storage or HTTP; it only makes and checks
// credentials.
package auth
