import { describe, expect, it } from 'vitest';
import { atLeast, memberControls, parseRole } from './roles';

describe('memberControls', () => {
  it.each([
    // caller, target, self, changeRole, remove, may grant owner
    ['owner', 'owner', false, true, true, true],
    ['owner', 'viewer', false, true, true, true],
    ['owner', 'owner', true, true, true, true],
    ['admin', 'owner', false, false, false, false],
    ['admin', 'developer', false, true, true, false],
    ['admin', 'admin', true, true, true, false],
    ['developer', 'viewer', false, false, false, false],
    ['developer', 'developer', true, false, true, false],
    ['viewer', 'owner', false, false, false, false],
    ['viewer', 'viewer', true, false, true, false],
  ] as const)('%s on %s (self: %s)', (caller, target, self, changeRole, remove, grantsOwner) => {
    const c = memberControls(caller, target, self);
    expect(c.changeRole).toBe(changeRole);
    expect(c.remove).toBe(remove);
    expect(c.grantable.includes('owner')).toBe(grantsOwner);
  });

  it('offers nothing while the caller role is unknown, but leaving', () => {
    expect(memberControls(undefined, 'viewer', false)).toMatchObject({ changeRole: false, remove: false });
    expect(memberControls(undefined, 'viewer', true).remove).toBe(true);
  });
});

describe('atLeast and parseRole', () => {
  it('orders roles and reads form values', () => {
    expect(atLeast('owner', 'admin')).toBe(true);
    expect(atLeast('developer', 'admin')).toBe(false);
    expect(atLeast(undefined, 'viewer')).toBe(false);
    expect(parseRole('admin')).toBe('admin');
    expect(parseRole('root')).toBeUndefined();
  });
});
