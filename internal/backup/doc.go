// Package backup writes and reads Coffer's backup archives: a consistent
// copy of every table, portable between SQLite and PostgreSQL, encrypted
// with age (https://age-encryption.org) under a key the operator holds.
//
// An archive is age(gzip(JSON lines)):
//
//	{"header":{"format":"coffer-backup","version":1,"created_at":…,"source_dialect":"sqlite",
//	           "schema_version":2,"tables":[{"name":"meta","columns":[{"name":"name","type":"text"},…]},…]}}
//	{"table":"meta","row":["kek_check","base64…"]}
//	…
//	{"trailer":{"rows":{"meta":1,…},"sha256":"…"}}
//
// Tables come parents first, so a restore inserts them in order without
// deferring foreign keys. Each value is encoded by its column's canonical
// type (store.TypeText, TypeInt, TypeBool, TypeBytes): a number, a boolean, a
// string, base64 bytes, or null; a text value that is not valid UTF-8 is
// written as {"base64":…} so that no byte of it is lost. The trailer's
// SHA-256 covers every line before it, byte for byte.
//
// age authenticates the archive in 64 KiB chunks and detects truncation;
// the trailer's counts and checksum additionally check the structure that
// was written. Secret values stay sealed by their project keys, which stay
// wrapped by ENCRYPTION_KEY: an archive is useless without both the backup
// key and the server's ENCRYPTION_KEY.
package backup
