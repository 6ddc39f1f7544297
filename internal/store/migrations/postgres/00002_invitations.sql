-- +goose Up
-- Invitations let a project admin add an email that has no account yet when
-- SIGNUP_MODE=invite; sign-up turns them into memberships.
CREATE TABLE invitations (
	project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
	invited_by UUID, -- no foreign key: the inviter may leave; the invitation stays
	created_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, email)
);
-- Sign-up looks invitations up by email.
CREATE INDEX invitations_email_idx ON invitations (email);

-- +goose Down
DROP TABLE invitations;
