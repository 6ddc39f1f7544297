// Package barrier is the encryption barrier between Coffer and its storage:
// a keyring of key-encryption keys (KEKs) taken from ENCRYPTION_KEY, the
// per-project data-encryption keys (DEKs) they wrap, and the AES-256-GCM
// sealing of secret values under a DEK.
//
// Every ciphertext is bound by its associated data to the row it belongs to
// (project, environment, key, version for values; project and KEK id for
// wrapped DEKs), so a ciphertext copied to another row fails to open. Storage
// only ever sees sealed bytes and KEK ids, never a key or a plaintext.
package barrier
