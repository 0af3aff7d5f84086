import type { IFixMsgStoreRecord, IFixSessionStore, IFixSessionStoreFactory, SessionId } from 'jspurefix';
import type { Knex } from '../../db/knex.js';
import type { Logger } from '../../logger.js';
import { toDate } from '../../db/dialect.js';
import { LOGOUT_WAIT_MS, SEQNUM_WRITE_INTERVAL_MS, SESSION_LEASE_MS, TAKEOVER_SENDER_SEQ_SKIP } from './fix-codes.js';
import type { OutboundJournal } from './outbound-journal.js';

const TABLE = 'fix_sessions';

/** Why a session could not be claimed by this process. */
export type ClaimResult = 'OK' | 'COMP_ID_OF_OTHER_ACCOUNT' | 'SESSION_ACTIVE_ELSEWHERE' | 'ACCOUNT_ACTIVE_ELSEWHERE';

interface LoadedRow {
  readonly accountId: number;
  readonly owner: string | null;
  readonly leaseUntil: Date | null;
  readonly updatedAt: Date;
}

/**
 * Sequence numbers of one FIX session, kept in the `fix_sessions` table (the jspurefix
 * session-store contract, backed by the platform database).
 *
 * A store starts detached: the gateway creates it once a Logon is authenticated, reads the
 * session, and whatever the Logon does to the numbers stays in memory. Only {@link claim}
 * attaches it (a refused Logon never gets that far, so it changes nothing): it takes the session's lease for this
 * process and from then on every change is written behind (at most one UPDATE in flight and one
 * per SEQNUM_WRITE_INTERVAL_MS, the latest numbers win). Numbers only move forward except through {@link reset}, so a resend of
 * old messages can never rewind them. {@link release} writes the final numbers and frees the
 * lease. Message bodies are not stored here (see OutboundJournal).
 */
export class DbSessionStore implements IFixSessionStore {
  senderSeqNum = 1;
  targetSeqNum = 1;
  private created = new Date();
  private row: LoadedRow | undefined;
  private claimed = false;
  private releasing: Promise<unknown> | undefined;
  private resetWhileDetached = false;
  private dirty = false;
  private writing: Promise<void> | undefined;
  /** Called when a write finds that another process took the session over. */
  onLeaseLost: (() => void) | undefined;
  /** Set by a logged-on session that is logging out: resolves once it has ended and released. */
  closing: Promise<void> | undefined;

  constructor(
    readonly sessionId: SessionId,
    private readonly knex: Knex,
    private readonly owner: string,
    private readonly journal: OutboundJournal,
    private readonly logger: Logger,
    /** The store of this session's previous connection in this process, if any. */
    private previous: DbSessionStore | undefined,
  ) {}

  get creationTime(): Date {
    return this.created;
  }

  /** The account the CompID is bound to, when the session existed before this connection. */
  get boundAccountId(): number | undefined {
    return this.row?.accountId;
  }

  async initialize(): Promise<void> {
    // The previous connection of this session may still be writing its last numbers.
    await this.previous?.idle();
    this.previous = undefined;
    const r = await this.knex(TABLE).where(this.key()).first('*');
    if (!r) return;
    this.senderSeqNum = Number(r.next_sender_seq);
    this.targetSeqNum = Number(r.next_target_seq);
    this.created = toDate(r.created_at);
    this.row = {
      accountId: Number(r.account_id),
      owner: (r.owner as string | null) ?? null,
      leaseUntil: r.lease_until == null ? null : toDate(r.lease_until),
      updatedAt: toDate(r.updated_at),
    };
  }

  async setSenderSeqNum(value: number): Promise<void> {
    if (value <= this.senderSeqNum) return;
    this.senderSeqNum = value;
    this.schedule();
  }

  async setTargetSeqNum(value: number): Promise<void> {
    if (value <= this.targetSeqNum) return;
    this.targetSeqNum = value;
    this.schedule();
  }

  async nextSenderSeqNum(): Promise<number> {
    await this.setSenderSeqNum(this.senderSeqNum + 1);
    return this.senderSeqNum;
  }

  async nextTargetSeqNum(): Promise<number> {
    await this.setTargetSeqNum(this.targetSeqNum + 1);
    return this.targetSeqNum;
  }

  /** ResetSeqNumFlag=Y: both sides start again at 1 and the resend journal is forgotten. */
  async reset(): Promise<void> {
    this.senderSeqNum = 1;
    this.targetSeqNum = 1;
    this.created = new Date();
    if (this.claimed) this.journal.clear();
    else this.resetWhileDetached = true;
    this.schedule();
  }

  async put(_record: IFixMsgStoreRecord): Promise<void> {}

  async get(_seqNum: number): Promise<IFixMsgStoreRecord | null> {
    return null;
  }

  async getRange(_from: number, _to: number): Promise<IFixMsgStoreRecord[]> {
    return [];
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Resolves once nothing is being written, the final release included. A session that is
   * logging out is waited for (at most `LOGOUT_WAIT_MS` more), so that a counterparty that logs
   * out and straight back in continues from the final numbers.
   */
  async idle(): Promise<void> {
    if (this.closing) await Promise.race([this.closing, new Promise((r) => setTimeout(r, LOGOUT_WAIT_MS).unref())]);
    await this.flush();
    await this.releasing;
  }

  async dispose(): Promise<void> {
    await this.flush();
  }

  /**
   * Binds the session to `accountId` and takes its lease for this process, writing the current
   * numbers. Refused when the CompID belongs to another account, when another live process holds
   * this session or another session of the account, or when the row changed since it was read.
   */
  async claim(accountId: number): Promise<ClaimResult> {
    const now = new Date();
    const until = new Date(now.getTime() + SESSION_LEASE_MS);
    if (this.row && this.row.accountId !== accountId) return 'COMP_ID_OF_OTHER_ACCOUNT';
    const elsewhere = await this.knex(TABLE)
      .where({ account_id: accountId })
      .whereNotNull('owner')
      .whereNot('owner', this.owner)
      .where('lease_until', '>', now)
      .whereNot((q) => q.where(this.key()))
      .first('target_comp_id');
    if (elsewhere) return 'ACCOUNT_ACTIVE_ELSEWHERE';
    // The previous holder never released the session (it crashed): our last numbers may be missing.
    if (this.row?.owner && this.row.owner !== this.owner) this.senderSeqNum += TAKEOVER_SENDER_SEQ_SKIP;
    const values = { ...this.numbers(now), owner: this.owner, lease_until: until };
    if (!this.row) {
      // A new CompID: create it for this account (a concurrent creator wins; the update below then fails).
      await this.knex(TABLE)
        .insert({ ...this.key(), account_id: accountId, ...values })
        .onConflict(['sender_comp_id', 'target_comp_id'])
        .ignore();
    }
    const taken = await this.knex(TABLE)
      .where({ ...this.key(), account_id: accountId, ...(this.row ? { updated_at: this.row.updatedAt } : {}) })
      .where((q) => q.whereNull('owner').orWhere('owner', this.owner).orWhere('lease_until', '<', now))
      .update(values);
    if (taken !== 1) {
      const current = await this.knex(TABLE).where(this.key()).first('account_id');
      return current && Number(current.account_id) !== accountId ? 'COMP_ID_OF_OTHER_ACCOUNT' : 'SESSION_ACTIVE_ELSEWHERE';
    }
    this.claimed = true;
    if (this.resetWhileDetached) this.journal.clear();
    return 'OK';
  }

  /** Extends the lease (a write of the current numbers). */
  renew(): void {
    this.schedule();
  }

  /** Writes the final numbers and frees the lease. */
  release(): Promise<void> {
    if (!this.claimed) return Promise.resolve();
    const done = (async () => {
      await this.flush();
      this.claimed = false;
      await this.knex(TABLE)
        .where({ ...this.key(), owner: this.owner })
        .update({ ...this.numbers(new Date()), owner: null, lease_until: null });
    })();
    this.releasing = done.catch(() => {});
    return done;
  }

  private schedule(): void {
    if (!this.claimed) return;
    this.dirty = true;
    this.writing ??= this.writeLoop().finally(() => (this.writing = undefined));
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty && this.claimed) {
      this.dirty = false;
      const now = new Date();
      const pause = new Promise((r) => setTimeout(r, SEQNUM_WRITE_INTERVAL_MS).unref());
      try {
        const n = await this.knex(TABLE)
          .where({ ...this.key(), owner: this.owner })
          .update({ ...this.numbers(now), lease_until: new Date(now.getTime() + SESSION_LEASE_MS) });
        if (n !== 1) {
          this.claimed = false;
          this.logger.warn({ component: 'fix', session: this.sessionId.toString() }, 'FIX session lease lost to another process');
          this.onLeaseLost?.();
        }
      } catch (err) {
        // The next change (or lease renewal) writes again; the numbers in memory stay authoritative.
        this.logger.error({ component: 'fix', session: this.sessionId.toString(), err }, 'writing FIX sequence numbers failed');
        return;
      }
      if (this.dirty) await pause;
    }
  }

  private key() {
    return { sender_comp_id: this.sessionId.senderCompID, target_comp_id: this.sessionId.targetCompID };
  }

  private numbers(now: Date) {
    return { next_sender_seq: this.senderSeqNum, next_target_seq: this.targetSeqNum, created_at: this.created, updated_at: now };
  }
}

/**
 * Creates one {@link DbSessionStore} per connection and keeps, per session, what outlives a
 * connection in this process: the resend journal and the last store's pending writes.
 */
export class DbSessionStoreFactory implements IFixSessionStoreFactory {
  private readonly journals = new Map<string, OutboundJournal>();
  private readonly last = new Map<string, DbSessionStore>();

  constructor(
    private readonly knex: Knex,
    /** This process's identity in the session leases. */
    readonly owner: string,
    private readonly makeJournal: () => OutboundJournal,
    private readonly logger: Logger,
  ) {}

  create(sessionId: SessionId): DbSessionStore {
    const key = sessionId.toString();
    const previous = this.last.get(key);
    const store = new DbSessionStore(sessionId, this.knex, this.owner, this.journal(key), this.logger, previous);
    this.last.set(key, store);
    return store;
  }

  /** The resend journal of a session (one per session for the life of this process). */
  journal(key: string): OutboundJournal {
    let j = this.journals.get(key);
    if (!j) {
      j = this.makeJournal();
      this.journals.set(key, j);
    }
    return j;
  }

  /** Waits for every store's pending writes and releases. */
  async idle(): Promise<void> {
    await Promise.all([...this.last.values()].map((s) => s.idle()));
  }
}
