package store

import (
	"context"

	"github.com/cofferhq/coffer"
)

const (
	msgUserNotFound = "User not found."
	msgEmailTaken   = "An account with this email already exists."
)

const userColumns = `id, email, name, password_hash, is_admin, created_at, updated_at`

func scanUser(row scanner) (*coffer.User, error) {
	var u coffer.User
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.IsAdmin, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

// CreateUser stores a new user; ECONFLICT if the email is taken. The email
// is stored as given: the caller lower-cases it.
func (q queries) CreateUser(ctx context.Context, u *coffer.User) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.IsAdmin, micros(u.CreatedAt), micros(u.UpdatedAt))
	if err != nil {
		return dbError(err, "create user", "", msgEmailTaken)
	}
	return nil
}

// UserByID returns a user; ENOTFOUND if there is none.
func (q queries) UserByID(ctx context.Context, id string) (*coffer.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, dbError(err, "read user", msgUserNotFound, "")
	}
	return u, nil
}

// UserByEmail returns the user with this (lower-cased) email; ENOTFOUND if
// there is none.
func (q queries) UserByEmail(ctx context.Context, email string) (*coffer.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	if err != nil {
		return nil, dbError(err, "read user by email", msgUserNotFound, "")
	}
	return u, nil
}

// UpdateUser saves a user's email, name, password hash, admin flag and
// update time; ENOTFOUND if the user is gone, ECONFLICT if the email is
// taken.
func (q queries) UpdateUser(ctx context.Context, u *coffer.User) error {
	err := q.execOne(ctx, `
		UPDATE users SET email = $2, name = $3, password_hash = $4, is_admin = $5, updated_at = $6
		WHERE id = $1`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.IsAdmin, micros(u.UpdatedAt))
	if err != nil {
		return dbError(err, "update user", msgUserNotFound, msgEmailTaken)
	}
	return nil
}

// DeleteUser deletes a user with their sessions, refresh tokens, personal
// tokens and memberships; ENOTFOUND if there is none. Service tokens the
// user created stay and lose their creator.
func (q queries) DeleteUser(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q queries) error {
		// The foreign key only sets tokens.user_id to NULL, which suits
		// service tokens; personal tokens must go with their owner.
		_, err := q.db.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = $1 AND kind = 'personal'`, id)
		if err == nil {
			err = q.execOne(ctx, `DELETE FROM users WHERE id = $1`, id)
		}
		if err != nil {
			return dbError(err, "delete user", msgUserNotFound, "")
		}
		return nil
	})
}

// CountUsers returns how many users exist; signup uses it to make the first
// one an administrator.
func (q queries) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, dbError(err, "count users", "", "")
	}
	return n, nil
}
