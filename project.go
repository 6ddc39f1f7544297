package coffer

import "time"

// Role is a member's role in a project. Roles are ordered:
// owner > admin > developer > viewer.
type Role string

// The project roles.
const (
	RoleViewer    Role = "viewer"
	RoleDeveloper Role = "developer"
	RoleAdmin     Role = "admin"
	RoleOwner     Role = "owner"
)

// rank orders roles; an unknown role ranks below viewer.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleDeveloper:
		return 2
	case RoleAdmin:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is min or above.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// Project is a named set of environments with members and one data key.
type Project struct {
	ID        string
	Slug      string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time

	// WrappedDEK is the project's data-encryption key, sealed by the
	// key-encryption key identified by KEKID. The plain key never leaves
	// the barrier.
	WrappedDEK []byte
	KEKID      string
}

// Member is a user's membership in a project.
type Member struct {
	ProjectID string
	UserID    string
	Email     string // filled on reads
	Name      string // filled on reads
	Role      Role
	CreatedAt time.Time
}

// Invitation lets an email without an account join a project with a role
// when it signs up (sign-up by invitation).
type Invitation struct {
	ProjectID string
	Email     string
	Role      Role
	InvitedBy string // the inviting user's id; empty when not a user
	CreatedAt time.Time
}

// Environment is one set of secrets inside a project (dev, staging, prod…).
// Revision grows by one with every change to any of its secrets.
type Environment struct {
	ID        string
	ProjectID string
	Slug      string
	Name      string
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultEnvironments are created with a project that names none.
var DefaultEnvironments = []string{"dev", "staging", "prod"}
