package store

import (
	"context"
	"time"
)

// AcquireLease takes the named lease for holder until now+ttl and reports
// true, if the lease is free, expired, or held by holder already (a
// renewal); it reports false while another holder's lease runs. One
// statement decides, so two instances racing for a lease cannot both win.
func (q queries) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	n, err := q.exec(ctx, `
		INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
		name, holder, micros(now.Add(ttl)), micros(now))
	if err != nil {
		return false, dbError(err, "acquire lease "+name, "", "")
	}
	return n == 1, nil
}

// ReleaseLease gives up the named lease if holder holds it, so another
// instance need not wait for it to expire. Releasing a lease one does not
// hold does nothing.
func (q queries) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	if err != nil {
		return dbError(err, "release lease "+name, "", "")
	}
	return nil
}
