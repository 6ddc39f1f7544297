import type { Schemas } from './api';

export type Role = Schemas['Role'];

/** Highest first, as people read them. */
export const roles: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

const rank: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

/** Reports whether role is min or above; no role (not loaded) is nothing. */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && rank[role] >= rank[min];
}

export type MemberControls = {
  /** May pick another role for this member. */
  changeRole: boolean;
  /** May remove this member (or, for oneself, leave). */
  remove: boolean;
  /** The roles the caller may hand out. */
  grantable: readonly Role[];
};

/** What the caller may do to a member, mirroring the server's rules so that
 * the screen offers only what will work: admins manage members, only owners
 * deal in ownership, anyone may leave. The server has the last word (it
 * alone knows whether an owner is the last one). */
export function memberControls(caller: Role | undefined, target: Role, isSelf: boolean): MemberControls {
  const manage = atLeast(caller, 'admin') && (target !== 'owner' || caller === 'owner');
  return {
    changeRole: manage,
    remove: isSelf || manage,
    grantable: caller === 'owner' ? roles : roles.filter((r) => r !== 'owner'),
  };
}

/** The role a form value names, if it is one. */
export function parseRole(value: string): Role | undefined {
  return roles.find((r) => r === value);
}
