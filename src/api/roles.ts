// Who may do what, pure. admin ⊇ auditor; dock is separate and may only push files.
import type { Role } from '../catalog/tokens-repo.js';

/** What a route asks for: one of the roles that may call it. */
export type Access = 'public' | readonly Role[];

export const AUDITOR: readonly Role[] = ['auditor', 'admin'];
export const ADMIN: readonly Role[] = ['admin'];
export const DOCK: readonly Role[] = ['dock'];

export function roleAllows(role: Role, access: Access): boolean {
  return access === 'public' || access.includes(role);
}

/** A dock token bound to one dock may push only to that dock. */
export function dockAllows(tokenDockId: string | null, dockId: string): boolean {
  return tokenDockId === null || tokenDockId === dockId;
}
