package backup

// Tables lists, parents before children, every table a backup holds. It is
// the one list of what a backup covers: TestTablesCoverSchema fails, and
// Create refuses to run, when the schema has a table that is neither here
// nor in Skipped, so a new table cannot be forgotten. Columns are not
// listed: they are read from the database's catalog, so a new column is
// backed up without a change here.
var Tables = []string{
	"meta",
	"users",
	"sessions",
	"refresh_tokens",
	"projects",
	"members",
	"invitations",
	"environments",
	"tokens",
	"token_environments",
	"secrets",
	"secret_versions",
	"audit_events",
	"audit_head",
}

// Skipped names the tables a backup leaves out on purpose, and why.
var Skipped = map[string]string{
	"goose_db_version": "the migrations' own bookkeeping: restore re-creates it by migrating to the archive's schema version",
	"leases":           "which instance runs a background job now: meaningless on another database, and a restored lease would stall the job until it expired",
}

// seeded are tables that an empty database already has rows in: the first
// migration seeds the audit chain head, and the first start of a server
// stores the key check value. Restore replaces their rows and does not
// count them when it decides whether a database is empty.
var seeded = map[string]bool{"meta": true, "audit_head": true}
