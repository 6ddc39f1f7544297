package redis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cofferhq/coffer"
)

// BundleTTL is how long a sealed bundle stays in Redis after it was
// written. Entries never go stale — a revision's secrets never change —
// so the TTL only frees the memory of revisions nobody reads any more.
const BundleTTL = time.Hour

// Bundles is the cache of sealed environment bundles that every instance
// shares: an instance that has not read a revision yet takes it from here
// instead of from the database. Values stay sealed: Redis holds the same
// ciphertexts as the database, which only the project's data key opens.
// Every failure is a miss: the database answers instead.
type Bundles struct {
	c *Client
}

// NewBundles returns the shared bundle cache on c.
func NewBundles(c *Client) *Bundles { return &Bundles{c: c} }

// bundleSecret is one cached row. Field names are short: a bundle is read
// on every cold start of every instance.
type bundleSecret struct {
	ID         string `json:"i"`
	Key        string `json:"k"`
	Version    int    `json:"v"`
	Revision   int64  `json:"r"`
	Comment    string `json:"c,omitempty"`
	UpdatedAt  int64  `json:"t"` // Unix microseconds
	ByType     string `json:"bt"`
	ByID       string `json:"bi"`
	Ciphertext []byte `json:"s"`
}

func (c *Client) bundleKey(envID string, revision int64) string {
	return c.prefix + "bundle:" + envID + ":" + strconv.FormatInt(revision, 10)
}

// Get returns the sealed secrets of envID at revision, if cached.
func (b *Bundles) Get(ctx context.Context, envID string, revision int64) ([]*coffer.Secret, bool) {
	if !b.c.usable() {
		return nil, false
	}
	data, err := b.c.rdb.Get(ctx, b.c.bundleKey(envID, revision)).Bytes()
	if errors.Is(err, goredis.Nil) {
		b.c.report(nil)
		return nil, false
	}
	b.c.report(err)
	if err != nil {
		return nil, false
	}
	var rows []bundleSecret
	if err := json.Unmarshal(data, &rows); err != nil {
		b.c.log.Warn("undecodable bundle in redis; reading the database", "environment_id", envID, "error", err)
		return nil, false
	}
	secrets := make([]*coffer.Secret, len(rows))
	for i, r := range rows {
		secrets[i] = &coffer.Secret{
			ID: r.ID, EnvironmentID: envID, Key: r.Key, Version: r.Version, Revision: r.Revision,
			Comment: r.Comment, UpdatedAt: time.UnixMicro(r.UpdatedAt).UTC(),
			UpdatedBy: coffer.Actor{Type: coffer.ActorType(r.ByType), ID: r.ByID}, Ciphertext: r.Ciphertext,
		}
	}
	return secrets, true
}

// Put caches the sealed secrets of envID at revision.
func (b *Bundles) Put(ctx context.Context, envID string, revision int64, secrets []*coffer.Secret) {
	if !b.c.usable() {
		return
	}
	rows := make([]bundleSecret, len(secrets))
	for i, s := range secrets {
		rows[i] = bundleSecret{
			ID: s.ID, Key: s.Key, Version: s.Version, Revision: s.Revision, Comment: s.Comment,
			UpdatedAt: s.UpdatedAt.UnixMicro(), ByType: string(s.UpdatedBy.Type), ByID: s.UpdatedBy.ID,
			Ciphertext: s.Ciphertext,
		}
	}
	data, err := json.Marshal(rows)
	if err != nil {
		b.c.log.Error("encode bundle for redis", "environment_id", envID, "error", err)
		return
	}
	b.c.report(b.c.rdb.Set(ctx, b.c.bundleKey(envID, revision), data, BundleTTL).Err())
}
