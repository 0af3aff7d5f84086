import type { Knex } from '../../db/knex.js';
import { OPEN_STATUSES } from '../../engine/index.js';
import type { OrderRecord } from '../orders/order-record.js';
import type { OrderService } from '../orders/order.service.js';
import type { ClOrdIdKind } from './fix-cl-ord-id.entity.js';
import { CL_ORD_ID_UNIQUENESS_MS } from './fix-codes.js';

const TABLE = 'fix_cl_ord_ids';

/**
 * ClOrdIDs beyond an order's original one, persisted in `fix_cl_ord_ids` so they survive
 * restarts and work on any replica. Orders keep their original ClOrdID in `orders`; an accepted
 * OrderCancelReplaceRequest or OrderCancelRequest adds its ClOrdID (11) here. OrigClOrdID (41)
 * may then name any ClOrdID of the chain.
 */
export class ClOrdIdMap {
  constructor(
    private readonly knex: Knex,
    private readonly orders: OrderService,
  ) {}

  /** The account's order known by `clOrdId` (original or later), if any. */
  async resolve(accountId: number, clOrdId: string): Promise<OrderRecord | undefined> {
    const original = await this.orders.byClOrdId(accountId, clOrdId);
    if (original) return original;
    const row = await this.knex(TABLE).where({ account_id: accountId, cl_ord_id: clOrdId }).first('order_id');
    return row ? this.orders.get(Number(row.order_id)) : undefined;
  }

  /**
   * Reserves `clOrdId` for a request on `orderId`. False when the account already used it, for
   * an order or a request (ClOrdIDs are unique per account).
   */
  async claim(accountId: number, clOrdId: string, orderId: number, origClOrdId: string, kind: ClOrdIdKind): Promise<boolean> {
    if (await this.orders.byClOrdId(accountId, clOrdId)) return false;
    try {
      await this.knex(TABLE).insert({ account_id: accountId, cl_ord_id: clOrdId, order_id: orderId, orig_cl_ord_id: origClOrdId, kind, created_at: new Date() });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  /** Gives back a ClOrdID reserved by {@link claim} for a request that was refused. */
  async release(accountId: number, clOrdId: string): Promise<void> {
    await this.knex(TABLE).where({ account_id: accountId, cl_ord_id: clOrdId }).delete();
  }

  /**
   * What a session keeps in memory for its account: the latest ClOrdID of each open order
   * replaced over FIX, and the ClOrdIDs cancels and replaces used within the last
   * {@link CL_ORD_ID_UNIQUENESS_MS} (the span over which FIX requires ClOrdIDs to be unique),
   * so a NewOrderSingle needs no query to know its ClOrdID is free.
   */
  async load(accountId: number, now = new Date()): Promise<AccountClOrdIds> {
    const replaced = await this.knex(`${TABLE} as a`)
      .join('orders as o', 'o.id', 'a.order_id')
      .where({ 'a.account_id': accountId, 'a.kind': 'REPLACE' })
      .whereIn('o.status', OPEN_STATUSES)
      .orderBy('a.created_at')
      .select('a.order_id', 'a.cl_ord_id');
    const recent = await this.knex(TABLE)
      .where({ account_id: accountId })
      .where('created_at', '>', new Date(now.getTime() - CL_ORD_ID_UNIQUENESS_MS))
      .select('cl_ord_id');
    return {
      latest: new Map(replaced.map((r: Record<string, unknown>) => [Number(r.order_id), String(r.cl_ord_id)])),
      usedByRequests: new Set(recent.map((r: Record<string, unknown>) => String(r.cl_ord_id))),
    };
  }
}

/** A session's in-memory view of its account's request ClOrdIDs (see {@link ClOrdIdMap.load}). */
export interface AccountClOrdIds {
  /** Order id → latest ClOrdID, for open orders replaced over FIX. */
  readonly latest: Map<number, string>;
  /** ClOrdIDs of recent accepted cancels and replaces. */
  readonly usedByRequests: Set<string>;
}

/** A primary-key violation from SQLite or MySQL. */
function isDuplicateKey(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? '');
  return code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT');
}
