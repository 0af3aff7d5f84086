import type { Knex } from '../../db/knex.js';
import { badInput, conflict, notFound } from '../../errors.js';
import { toDate } from '../../db/dialect.js';
import { COMP_ID_PATTERN } from './fix-codes.js';
import { recordAudit, type AuditActor } from '../admin-audit/audit-log.js';

const TABLE = 'fix_sessions';

/** A counterparty CompID and the account it belongs to. */
export interface CompIdBinding {
  readonly compId: string;
  readonly accountId: number;
  /** A gateway process holds a live session of it. */
  readonly active: boolean;
}

/**
 * Which account each counterparty SenderCompID belongs to (the `fix_sessions` rows, whose key is
 * our CompID and theirs). A CompID is bound by an admin ahead of time, or by the first logon
 * that uses it; an admin can release it, which forgets its sequence numbers so that the next
 * binding starts at 1.
 */
export class FixCompIds {
  constructor(
    private readonly knex: Knex,
    /** Our CompID: FIX_SENDER_COMP_ID. */
    private readonly ourCompId: string,
  ) {}

  /** Binds `compId` to the account; binding it again to the same account changes nothing. */
  async bind(compId: string, accountId: number, audit?: AuditActor): Promise<CompIdBinding> {
    if (!COMP_ID_PATTERN.test(compId)) throw badInput('INVALID_COMP_ID', 'A CompID is 1 to 64 printable ASCII characters without spaces.', 'compId');
    if (compId === this.ourCompId) throw badInput('INVALID_COMP_ID', `${compId} is the exchange's own CompID.`, 'compId');
    const user = await this.knex('users').where({ id: accountId }).first('id');
    if (!user) throw notFound('USER_NOT_FOUND', 'No such user.');
    const now = new Date();
    await this.knex.transaction(async (trx) => {
      await trx(TABLE)
        .insert({ ...this.key(compId), account_id: accountId, next_sender_seq: 1, next_target_seq: 1, created_at: now, owner: null, lease_until: null, updated_at: now })
        .onConflict(['sender_comp_id', 'target_comp_id'])
        .ignore();
      const row = await trx(TABLE).where(this.key(compId)).first('account_id');
      if (!row || Number(row.account_id) !== accountId) throw conflict('COMP_ID_TAKEN', 'This CompID belongs to another account; release it first.');
      if (audit) await recordAudit(trx, audit, { action: 'BIND_FIX_COMP_ID', target: compId, details: { accountId } });
    });
    return (await this.get(compId))!;
  }

  /** Frees `compId` (and forgets its sequence numbers). Refused while a session of it is live. */
  async release(compId: string, audit?: AuditActor): Promise<CompIdBinding> {
    const binding = await this.get(compId);
    if (!binding) throw notFound('COMP_ID_NOT_FOUND', 'No account has this CompID.');
    if (binding.active) throw conflict('FIX_SESSION_ACTIVE', 'A FIX session of this CompID is logged on; disable the account or wait for its logout.');
    const now = new Date();
    await this.knex.transaction(async (trx) => {
      const deleted = await trx(TABLE)
        .where(this.key(compId))
        .where((q) => q.whereNull('owner').orWhereNull('lease_until').orWhere('lease_until', '<', now))
        .delete();
      if (deleted !== 1) throw conflict('FIX_SESSION_ACTIVE', 'A FIX session of this CompID is logged on; disable the account or wait for its logout.');
      if (audit) await recordAudit(trx, audit, { action: 'RELEASE_FIX_COMP_ID', target: compId, details: { accountId: binding.accountId } });
    });
    return binding;
  }

  async get(compId: string): Promise<CompIdBinding | undefined> {
    const r = await this.knex(TABLE).where(this.key(compId)).first('account_id', 'owner', 'lease_until');
    if (!r) return undefined;
    const until = r.lease_until == null ? null : toDate(r.lease_until);
    return { compId, accountId: Number(r.account_id), active: r.owner != null && until !== null && until.getTime() > Date.now() };
  }

  private key(compId: string) {
    return { sender_comp_id: this.ourCompId, target_comp_id: compId };
  }
}
