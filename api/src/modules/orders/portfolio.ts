import type { Knex } from '../../db/knex.js';
import { toDate } from '../../db/dialect.js';
import { badInput } from '../../errors.js';
import type { Side } from '../../engine/index.js';
import { COST_SCALE, FLAT, applyLedgerFill, type LedgerPosition } from './position-ledger.js';
import type { Page } from './order.service.js';

/** One of the account's executions, as the fills blotter shows it. */
export interface FillRecord {
  readonly id: number;
  readonly execId: string;
  readonly tradeId: number;
  readonly orderId: number;
  readonly symbol: string;
  readonly side: Side;
  readonly maker: boolean;
  readonly priceTicks: number;
  readonly qty: number;
  readonly at: Date;
}

/**
 * An account's fills and positions, read from the executions (so they can never disagree with
 * them). Stateless: a reader over the ORM's knex.
 */
export class PortfolioReads {
  constructor(private readonly knex: Knex) {}

  /**
   * The account's fills, newest first, keyset-paginated by execution id (index
   * `(account_id, id)`; with a symbol, `(account_id, symbol)` whose entries end with the id).
   */
  async fills(accountId: number, symbol: string | null | undefined, first: number, after?: string | null): Promise<Page<FillRecord>> {
    const q = this.knex('executions')
      .where('account_id', accountId)
      .select('id', 'exec_id', 'trade_id', 'order_id', 'symbol', 'side', 'maker', 'price_ticks', 'qty', 'created_at')
      .orderBy('id', 'desc')
      .limit(first + 1);
    if (symbol) q.where('symbol', symbol);
    if (after) q.where('id', '<', decodeFillCursor(after));
    const rows = (await q).map(fillFromRow);
    const items = rows.slice(0, first);
    const last = items.at(-1);
    return { items, hasNextPage: rows.length > first, endCursor: last ? encodeFillCursor(last.id) : null };
  }

  /**
   * Every product the account has traded, with its average-cost position and realised P&L
   * (flat positions included: their P&L is realised). One pass over the account's fills in
   * execution order, reading four columns.
   */
  async positions(accountId: number): Promise<Map<string, LedgerPosition>> {
    const rows: { symbol: string; side: Side; qty: unknown; price_ticks: unknown }[] = await this.knex('executions')
      .where('account_id', accountId)
      .orderBy([{ column: 'symbol' }, { column: 'id' }])
      .select('symbol', 'side', 'qty', 'price_ticks');
    const out = new Map<string, LedgerPosition>();
    for (const r of rows) {
      const symbol = String(r.symbol);
      out.set(symbol, applyLedgerFill(out.get(symbol) ?? FLAT, { side: r.side, qty: BigInt(String(r.qty)), priceTicks: BigInt(String(r.price_ticks)) }));
    }
    return out;
  }
}

function fillFromRow(r: Record<string, unknown>): FillRecord {
  return {
    id: Number(r.id),
    execId: String(r.exec_id),
    tradeId: Number(r.trade_id),
    orderId: Number(r.order_id),
    symbol: String(r.symbol),
    side: r.side as Side,
    maker: Boolean(r.maker),
    priceTicks: Number(r.price_ticks),
    qty: Number(r.qty),
    at: toDate(r.created_at),
  };
}

const encodeFillCursor = (id: number) => Buffer.from(`fill:${id}`).toString('base64url');

function decodeFillCursor(cursor: string): number {
  const m = /^fill:([1-9]\d{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw badInput('INVALID_CURSOR', 'The cursor is not one this API returned.', 'after');
  return Number(m[1]);
}

/** An exact decimal: units × 10^-scale. */
export interface Money {
  readonly units: bigint;
  readonly scale: number;
}

function tickOf(tickSize: string): Money {
  const [int, frac = ''] = tickSize.split('.');
  return { units: BigInt(int! + frac), scale: frac.length };
}

/** Ticks × lots × COST_SCALE of a product as an exact decimal amount of its currency. */
export function moneyOf(costUnits: bigint, tickSize: string): Money {
  const t = tickOf(tickSize);
  // COST_SCALE is 10^6: six more decimals than the tick.
  return { units: costUnits * t.units, scale: t.scale + COST_SCALE.toString().length - 1 };
}

/** a + b, exactly. */
export function addMoney(a: Money, b: Money): Money {
  const scale = Math.max(a.scale, b.scale);
  return { units: a.units * 10n ** BigInt(scale - a.scale) + b.units * 10n ** BigInt(scale - b.scale), scale };
}

/** The amount as a decimal string rounded half away from zero to `scale` places. */
export function formatMoney(m: Money, scale: number): string {
  let units = m.units;
  if (m.scale > scale) {
    const d = 10n ** BigInt(m.scale - scale);
    const neg = units < 0n;
    const a = neg ? -units : units;
    units = (a * 2n + d) / (2n * d);
    if (neg) units = -units;
  } else units *= 10n ** BigInt(scale - m.scale);
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  return (neg && units !== 0n ? '-' : '') + digits.slice(0, digits.length - scale) + (scale > 0 ? '.' + digits.slice(digits.length - scale) : '');
}

/** Decimals of a tick size ("0.01" → 2). */
export const tickScale = (tickSize: string) => tickOf(tickSize).scale;
