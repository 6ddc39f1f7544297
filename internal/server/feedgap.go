package server

import "time"

// revisions follows the secret revisions of one watched environment, to
// notice an event that never arrived. Every committed write to an
// environment takes its next revision (the keys of one import share it),
// and every revision is announced; so a revision that is missing while a
// later one is known — from a later event, or from the database at a
// recheck — was lost on its way here: typically a publish that the Redis
// bus dropped on another instance. Events of concurrent writes may also
// arrive out of order for a few milliseconds, so a gap only counts as a
// loss once it has stayed open for a grace period.
type revisions struct {
	next    int64          // the lowest revision not seen yet
	known   int64          // the highest revision known to exist
	ahead   map[int64]bool // revisions seen above next; nil when none
	gapFrom time.Time      // since when next is missing while known is past it; zero when not
}

// newRevisions starts after rev, the revision a subscription's replay
// (or acknowledgement) reached.
func newRevisions(rev int64) revisions { return revisions{next: rev + 1, known: rev} }

// see records a live event of revision rev.
func (r *revisions) see(rev int64, now time.Time) {
	switch {
	case rev < r.next: // another key of the same write, or a late one
	case rev == r.next:
		r.next++
		for r.ahead[r.next] {
			delete(r.ahead, r.next)
			r.next++
		}
		if len(r.ahead) == 0 {
			r.ahead = nil
		}
	default:
		if r.ahead == nil {
			r.ahead = map[int64]bool{}
		}
		r.ahead[rev] = true
	}
	r.exists(rev, now)
}

// exists records that revision rev has been committed, as the database
// says.
func (r *revisions) exists(rev int64, now time.Time) {
	r.known = max(r.known, rev)
	switch {
	case r.next > r.known:
		r.gapFrom = time.Time{}
	case r.gapFrom.IsZero():
		r.gapFrom = now
	}
}

// open reports whether a revision is missing.
func (r *revisions) open() bool { return !r.gapFrom.IsZero() }

// lostAt returns when an open gap counts as lost, given grace.
func (r *revisions) lostAt(grace time.Duration) time.Time { return r.gapFrom.Add(grace) }

// checkGaps ends the connection with 1013 resync once a subscription has
// missed a revision for GapGrace — the client then resumes by revision and
// the replay brings what was lost — and otherwise sets the gap timer for
// the earliest open gap. Callers hold c.mu.
func (c *feedConn) checkGaps() {
	var due time.Time
	for _, fs := range c.subs {
		if at := fs.revs.lostAt(c.limits.GapGrace); fs.revs.open() && (due.IsZero() || at.Before(due)) {
			due = at
		}
	}
	if due.IsZero() {
		return // the timer, if set, fires once more for nothing
	}
	wait := time.Until(due)
	switch {
	case wait <= 0:
		c.stop(closeResync)
	case c.gaps == nil:
		c.gaps = time.AfterFunc(wait, func() { c.exec(c.checkGaps) })
	default:
		c.gaps.Reset(wait)
	}
}
