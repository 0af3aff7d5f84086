import type { Knex } from '../../db/knex.js';
import { toDate } from '../../db/dialect.js';
import { badInput } from '../../errors.js';

/**
 * The audit trail (table `audit_log`): who changed what, and who logged in from where. Rows are
 * appended in the transaction of the change they record, so a change that rolled back left no
 * row and a committed change always has one. Nothing here updates or deletes a row.
 */

/** What was done, each once (the GraphQL enum is built from this list). Logins are `LOGIN`; everything else is an admin action. */
export const AUDIT_ACTIONS = [
  'LOGIN',
  'SET_ROLE',
  'DISABLE_ACCOUNT',
  'ENABLE_ACCOUNT',
  'SET_MEMBER_SINCE',
  'HALT',
  'RESUME',
  'CREATE_PRODUCT',
  'UPDATE_PRODUCT',
  'SET_LIMITS',
  'CANCEL_ALL',
  'SET_CANCEL_ON_DISCONNECT',
  'BIND_FIX_COMP_ID',
  'RELEASE_FIX_COMP_ID',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who acted, as the request knew them. */
export interface AuditActor {
  /** Account id; null for a login with an unknown username. */
  readonly id: number | null;
  /** Username (for a login: the name typed, cut to 64 characters). */
  readonly username: string;
  /** The client's address (after TRUSTED_PROXIES). */
  readonly address: string | null;
}

/** One row to append. */
export interface AuditEntry {
  readonly action: AuditAction;
  /** What was acted on: an account id, a symbol, a CompID. */
  readonly target?: string | null;
  /** The values set, the scope of a kill switch, the channel of a login: small, JSON-serializable. */
  readonly details?: Record<string, unknown> | null;
  /** `OK`, or why a login was refused (BAD_CREDENTIALS, ACCOUNT_DISABLED). */
  readonly outcome?: string;
}

/** A stored row. */
export interface AuditRecord {
  readonly id: number;
  readonly at: Date;
  readonly actorId: number | null;
  readonly actor: string;
  readonly address: string | null;
  readonly action: AuditAction;
  readonly target: string | null;
  readonly details: string | null;
  readonly outcome: string;
}

export interface AuditFilter {
  readonly actorId?: number;
  /** Username of the actor (exact, case-insensitive). */
  readonly actor?: string;
  readonly actions?: readonly AuditAction[];
  readonly since?: Date;
  readonly until?: Date;
}

const cut = (s: string | null | undefined, n: number): string | null => (s == null ? null : s.slice(0, n));

/**
 * Appends one row. Pass the transaction of the change (`trx`) so the row commits or rolls back
 * with it; a login refusal, which changes nothing, passes the plain connection.
 */
export async function recordAudit(db: Knex | Knex.Transaction, actor: AuditActor, entry: AuditEntry, at: Date = new Date()): Promise<void> {
  await db('audit_log').insert({
    at,
    actor_id: actor.id,
    actor: cut(actor.username, 64) ?? '',
    address: cut(actor.address, 64),
    action: entry.action,
    target: cut(entry.target, 128),
    details: entry.details ? JSON.stringify(entry.details).slice(0, 4000) : null,
    outcome: cut(entry.outcome ?? 'OK', 32),
  });
}

/** Reads the audit trail, newest first, keyset-paginated by id. */
export class AuditLog {
  constructor(private readonly knex: Knex) {}

  async list(filter: AuditFilter, first: number, after?: string | null): Promise<{ items: AuditRecord[]; hasNextPage: boolean; endCursor: string | null }> {
    const q = this.knex('audit_log').select('*');
    if (filter.actorId !== undefined) q.where('actor_id', filter.actorId);
    if (filter.actor) q.whereRaw('lower(actor) = ?', [filter.actor.toLowerCase()]);
    if (filter.actions && filter.actions.length > 0) q.whereIn('action', filter.actions as string[]);
    if (filter.since) q.where('at', '>=', filter.since);
    if (filter.until) q.where('at', '<', filter.until);
    if (after) {
      if (!/^[1-9]\d{0,15}$/.test(after)) throw badInput('INVALID_CURSOR', 'The cursor is not one this API returned.', 'after');
      q.where('id', '<', Number(after));
    }
    const rows = (await q.orderBy('id', 'desc').limit(first + 1)) as Record<string, unknown>[];
    const items = rows.slice(0, first).map(fromRow);
    return { items, hasNextPage: rows.length > first, endCursor: items.length > 0 ? String(items[items.length - 1]!.id) : null };
  }
}

function fromRow(r: Record<string, unknown>): AuditRecord {
  return {
    id: Number(r.id),
    at: toDate(r.at),
    actorId: r.actor_id == null ? null : Number(r.actor_id),
    actor: String(r.actor),
    address: (r.address as string | null) ?? null,
    action: r.action as AuditAction,
    target: (r.target as string | null) ?? null,
    details: (r.details as string | null) ?? null,
    outcome: String(r.outcome),
  };
}
