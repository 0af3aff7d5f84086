import type { RequestedCancelReason, Side } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import { DomainError, badInput } from '../../errors.js';
import type { ProductService } from '../products/product.service.js';
import { recordAudit, type AuditActor } from '../admin-audit/audit-log.js';
import type { OrderPath } from './order-path.js';
import { OPEN_STATUSES } from '../../engine/index.js';
import type { Channel } from './order-record.js';

/** Which open orders a kill switch cancels: one account's, optionally of one symbol and side. */
export interface CancelScope {
  readonly accountId: number;
  readonly symbol?: string | null;
  readonly side?: Side | null;
}

/** What a kill switch did. */
export interface CancelAllResult {
  /** Orders canceled by this request (orders that filled or were canceled meanwhile are not counted). */
  readonly canceled: number;
}

/** Orders read and submitted at once: bounds the memory of an account with very many open orders. */
const PAGE = 500;

/** Refusals of one cancel that only mean the order left the book meanwhile (filled, canceled). */
const GONE = new Set(['UNKNOWN_ORDER', 'ORDER_NOT_OPEN']);

/**
 * Kill switches: cancel every open order of an account (or of one symbol, or one side) at once.
 * Each order is canceled through the order path like an ordinary cancel — one engine command
 * per order, journaled, replayed by the other replicas, reported over GraphQL and FIX — carrying
 * the reason (MASS_CANCEL, ACCOUNT_DISABLED, DISCONNECT) into its execution report. The open
 * orders are read from the database in pages of {@link PAGE} and their cancels submitted
 * together, so they share group commits.
 */
export class KillSwitch {
  constructor(
    private readonly knex: Knex,
    private readonly path: OrderPath,
    private readonly products: ProductService,
  ) {}

  /**
   * Cancels the scope's open orders. Throws UNKNOWN_SYMBOL for a symbol that does not exist;
   * when a cancel fails for another reason than the order having left the book (the database
   * is down), throws that error once every cancel has settled: a retry cancels what is left.
   * `audit`: an admin's action on another account, recorded (with the count) once done.
   */
  async cancelAll(scope: CancelScope, reason: RequestedCancelReason, channel: Channel, audit?: AuditActor): Promise<CancelAllResult> {
    if (scope.symbol != null && !(await this.products.cached(scope.symbol))) throw badInput('UNKNOWN_SYMBOL', `No product ${scope.symbol}.`, 'symbol');
    let canceled = 0;
    let failure: unknown;
    let after = 0;
    for (;;) {
      const q = this.knex('orders')
        .where('account_id', scope.accountId)
        .whereIn('status', OPEN_STATUSES)
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .select('id', 'symbol');
      if (scope.symbol != null) q.where('symbol', scope.symbol);
      if (scope.side != null) q.where('side', scope.side);
      const rows = (await q) as { id: number | string; symbol: string }[];
      if (rows.length === 0) break;
      const settled = await Promise.allSettled(
        rows.map((r) => this.path.submit({ kind: 'cancel', orderId: Number(r.id), symbol: String(r.symbol), accountId: scope.accountId, reason, channel })),
      );
      for (const s of settled) {
        if (s.status === 'fulfilled') canceled++;
        else if (!(s.reason instanceof DomainError && GONE.has(s.reason.reason))) failure ??= s.reason;
      }
      after = Number(rows[rows.length - 1]!.id);
      if (rows.length < PAGE) break;
    }
    if (audit) {
      await recordAudit(this.knex, audit, {
        action: 'CANCEL_ALL',
        target: String(scope.accountId),
        details: { symbol: scope.symbol ?? null, side: scope.side ?? null, reason, canceled, complete: failure === undefined },
      });
    }
    if (failure !== undefined) throw failure;
    return { canceled };
  }

  /**
   * A disabled account's open orders, canceled with reason ACCOUNT_DISABLED. Run after the
   * disable committed (its sessions are revoked, so nothing new arrives from it), twice: orders
   * this process had queued before the disable have committed by the end of the first pass,
   * and the second pass cancels them too.
   */
  async accountDisabled(accountId: number): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < 2; pass++) total += (await this.cancelAll({ accountId }, 'ACCOUNT_DISABLED', 'graphql')).canceled;
    return total;
  }
}
