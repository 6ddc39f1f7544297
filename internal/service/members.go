package service

import (
	"context"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// Members lists a project's members.
func (s *Service) Members(ctx context.Context, project string) ([]*coffer.Member, error) {
	sc, err := s.project(ctx, project, coffer.ActMemberRead)
	if err != nil {
		return nil, err
	}
	return s.Store.ListMembers(ctx, sc.project.ID)
}

var errMemberNotFound = coffer.Errorf(coffer.ENOTFOUND, "Member not found.")

var errInvitationNotFound = coffer.Errorf(coffer.ENOTFOUND, "Invitation not found.")

// Added is what AddMember did: exactly one of its fields is set.
type Added struct {
	Member     *coffer.Member     // the email had an account, which joined
	Invitation *coffer.Invitation // the email was invited (sign-up by invitation)
}

// AddMember gives an existing user a role in the project. With sign-up by
// invitation, an email without an account is invited instead and joins
// with that role when it signs up. Errors: EINVALID, EFORBIDDEN,
// ENOTFOUND (no such account outside invite mode), ECONFLICT.
func (s *Service) AddMember(ctx context.Context, project, email string, role coffer.Role) (*Added, error) {
	sc, err := s.project(ctx, project, coffer.ActMemberManage)
	if err != nil {
		return nil, err
	}
	if email, err = coffer.NormalizeEmail(email); err != nil {
		return nil, err
	}
	if err := sc.mayGrant(role); err != nil {
		return nil, err
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		if s.SignupMode != SignupInvite {
			return nil, coffer.Errorf(coffer.ENOTFOUND, "No account uses %s; ask them to sign up first.", email)
		}
		inv, err := s.invite(ctx, sc, email, role)
		if err != nil {
			return nil, err
		}
		return &Added{Invitation: inv}, nil
	} else if err != nil {
		return nil, err
	}
	m := &coffer.Member{ProjectID: sc.project.ID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, CreatedAt: s.now()}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.AddMember(ctx, m); err != nil {
			if coffer.ErrorCode(err) == coffer.ECONFLICT {
				return nil, coffer.Errorf(coffer.ECONFLICT, "%s is already a member.", email)
			}
			return nil, err
		}
		return []*coffer.AuditEvent{s.memberEvent(ctx, coffer.AuditMemberAdd, sc, u.ID)}, nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, s.memberChange(ctx, coffer.EventMemberAdded, sc, u.ID))
	return &Added{Member: m}, nil
}

func (s *Service) memberChange(ctx context.Context, typ string, sc *scope, userID string) coffer.Event {
	e := s.change(ctx, typ, sc)
	e.UserID = userID
	return e
}

// invite records an invitation that turns into a membership when the
// email signs up.
func (s *Service) invite(ctx context.Context, sc *scope, email string, role coffer.Role) (*coffer.Invitation, error) {
	a := coffer.ActorFromContext(ctx)
	inv := &coffer.Invitation{ProjectID: sc.project.ID, Email: email, Role: role, InvitedBy: a.UserID, CreatedAt: s.now()}
	err := s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			if coffer.ErrorCode(err) == coffer.ECONFLICT {
				return nil, coffer.Errorf(coffer.ECONFLICT, "%s is already invited.", email)
			}
			return nil, err
		}
		return []*coffer.AuditEvent{s.memberEvent(ctx, coffer.AuditMemberInvite, sc, email)}, nil
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// Invitations lists a project's pending invitations, for whoever may see
// its members. Errors: ENOTFOUND.
func (s *Service) Invitations(ctx context.Context, project string) ([]*coffer.Invitation, error) {
	sc, err := s.project(ctx, project, coffer.ActMemberRead)
	if err != nil {
		return nil, err
	}
	return s.Store.ListInvitations(ctx, sc.project.ID)
}

// RevokeInvitation withdraws the invitation of email, so that it no longer
// joins the project on sign-up. Only owners revoke an invitation to
// ownership. Errors: EFORBIDDEN, ENOTFOUND.
func (s *Service) RevokeInvitation(ctx context.Context, project, email string) error {
	sc, err := s.project(ctx, project, coffer.ActMemberManage)
	if err != nil {
		return err
	}
	if email, err = coffer.NormalizeEmail(email); err != nil {
		return errInvitationNotFound // no invitation has such an email
	}
	return s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		inv, err := findInvitation(ctx, tx, sc.project.ID, email)
		if err != nil {
			return nil, err
		}
		if err := sc.mayGrant(inv.Role); err != nil {
			return nil, err
		}
		if err := tx.DeleteInvitation(ctx, sc.project.ID, email); err != nil {
			return nil, notFoundAs(err, "Invitation not found.")
		}
		return []*coffer.AuditEvent{s.memberEvent(ctx, coffer.AuditInviteRevoke, sc, email)}, nil
	})
}

// findInvitation picks one invitation out of the project's list, which is
// short; ENOTFOUND if email is not on it.
func findInvitation(ctx context.Context, tx *store.Tx, projectID, email string) (*coffer.Invitation, error) {
	list, err := tx.ListInvitations(ctx, projectID)
	if err != nil {
		return nil, err
	}
	for _, inv := range list {
		if inv.Email == email {
			return inv, nil
		}
	}
	return nil, errInvitationNotFound
}

func (s *Service) memberEvent(ctx context.Context, action string, sc *scope, userID string) *coffer.AuditEvent {
	e := s.event(ctx, action)
	e.ProjectID, e.Target = sc.project.ID, userID
	return e
}

// mayGrant checks that the caller may hand out (or take away) role: only
// owners deal in ownership.
func (sc *scope) mayGrant(role coffer.Role) error {
	if !role.Valid() {
		return coffer.Errorf(coffer.EINVALID, "The role must be owner, admin, developer or viewer.")
	}
	if role == coffer.RoleOwner && sc.role != coffer.RoleOwner {
		return coffer.Errorf(coffer.EFORBIDDEN, "Only an owner can make or change owners.")
	}
	return nil
}

// UpdateMember changes a member's role. The last owner cannot be demoted.
func (s *Service) UpdateMember(ctx context.Context, project, userID string, role coffer.Role) (*coffer.Member, error) {
	sc, err := s.project(ctx, project, coffer.ActMemberManage)
	if err != nil {
		return nil, err
	}
	if err := sc.mayGrant(role); err != nil {
		return nil, err
	}
	var m *coffer.Member
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		old, err := tx.MemberRole(ctx, sc.project.ID, userID)
		if err != nil {
			return nil, notFoundAs(err, "Member not found.")
		}
		if err := sc.mayGrant(old); err != nil {
			return nil, err
		}
		if old == coffer.RoleOwner && role != coffer.RoleOwner {
			if err := lastOwnerGuard(ctx, tx, sc.project.ID); err != nil {
				return nil, err
			}
		}
		if err := tx.UpdateMemberRole(ctx, sc.project.ID, userID, role); err != nil {
			return nil, err
		}
		if m, err = findMember(ctx, tx, sc.project.ID, userID); err != nil {
			return nil, err
		}
		return []*coffer.AuditEvent{s.memberEvent(ctx, coffer.AuditMemberUpdate, sc, userID)}, nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, s.memberChange(ctx, coffer.EventMemberUpdated, sc, userID))
	return m, nil
}

func lastOwnerGuard(ctx context.Context, tx *store.Tx, projectID string) error {
	n, err := tx.CountOwners(ctx, projectID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return coffer.Errorf(coffer.ECONFLICT, "A project needs an owner; make someone else owner first.")
	}
	return nil
}

func findMember(ctx context.Context, tx *store.Tx, projectID, userID string) (*coffer.Member, error) {
	members, err := tx.ListMembers(ctx, projectID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.UserID == userID {
			return m, nil
		}
	}
	return nil, errMemberNotFound
}

// RemoveMember takes a user out of a project. Members may remove
// themselves; admins remove others; the last owner cannot leave.
func (s *Service) RemoveMember(ctx context.Context, project, userID string) error {
	a := coffer.ActorFromContext(ctx)
	act := coffer.ActMemberManage
	if a.IsUser() && a.UserID == userID {
		act = coffer.ActProjectRead
	}
	sc, err := s.project(ctx, project, act)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		old, err := tx.MemberRole(ctx, sc.project.ID, userID)
		if err != nil {
			return nil, notFoundAs(err, "Member not found.")
		}
		if old == coffer.RoleOwner {
			if a.UserID != userID {
				if err := sc.mayGrant(old); err != nil {
					return nil, err
				}
			}
			if err := lastOwnerGuard(ctx, tx, sc.project.ID); err != nil {
				return nil, err
			}
		}
		if err := tx.RemoveMember(ctx, sc.project.ID, userID); err != nil {
			return nil, err
		}
		return []*coffer.AuditEvent{s.memberEvent(ctx, coffer.AuditMemberRemove, sc, userID)}, nil
	})
	if err != nil {
		return err
	}
	s.publish(ctx, s.memberChange(ctx, coffer.EventMemberRemoved, sc, userID))
	return nil
}
