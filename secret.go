package coffer

import "time"

// Secret is the current state of one key in an environment. Value is set
// only after the barrier opened it; the store handles Ciphertext only.
type Secret struct {
	ID            string
	EnvironmentID string
	Key           string
	Version       int   // current version number, from 1
	Revision      int64 // environment revision of the last change to this key
	Deleted       bool  // soft-deleted; kept until retention purges it
	Comment       string
	UpdatedAt     time.Time
	UpdatedBy     Actor
	Ciphertext    []byte // sealed value of the current version (nil when deleted)
	Value         string // plain value; only in memory, never stored
}

// SecretVersion is one entry of a secret's history.
type SecretVersion struct {
	SecretID   string
	Version    int
	Revision   int64
	Deleted    bool // this version records a deletion
	Comment    string
	CreatedAt  time.Time
	CreatedBy  Actor
	Ciphertext []byte
	Value      string // only in memory
}

// SecretInput is one key to write in an environment.
type SecretInput struct {
	Key     string
	Value   string
	Comment string
}

// DeletedSecret is a deleted key whose values are still kept: a rollback to
// RestoreVersion brings it back, until retention purges them
// (DELETED_SECRET_RETENTION).
type DeletedSecret struct {
	Key            string
	Version        int // the version that records the deletion
	DeletedAt      time.Time
	DeletedBy      Actor
	RestoreVersion int // the newest version with a value
}
