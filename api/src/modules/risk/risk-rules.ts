/**
 * The pre-trade rules, pure: integers in (ticks, lots, basis points), a refusal or nothing out.
 * No I/O, no clock: {@link RiskService} gathers the inputs (reference price, limits, exposure)
 * and applies these. Each rule's boundary is inclusive: a value on the limit is accepted.
 */
import { DomainError, badInput } from '../../errors.js';
import type { Side } from '../../engine/index.js';

/** Prices an order may carry, in ticks, both ends included. */
export interface PriceBand {
  readonly low: number;
  readonly high: number;
}

/** 100% in basis points. */
export const BPS = 10_000;

/**
 * The band of ±`bps` basis points around `reference` (ticks): low = ⌈ref × (1 − bps)⌉ but at
 * least 1 tick, high = ⌊ref × (1 + bps)⌋, exact in BigInt. The reference itself is always
 * inside. Null when there is no reference (see {@link RiskService} for the first-trade rule).
 */
export function priceBand(reference: number | null, bps: number): PriceBand | null {
  if (reference === null || reference <= 0) return null;
  const ref = BigInt(reference);
  const b = BigInt(bps);
  const scale = BigInt(BPS);
  const lowNum = ref * (scale - b);
  let low = lowNum <= 0n ? 1n : (lowNum + scale - 1n) / scale;
  if (low < 1n) low = 1n;
  const high = (ref * (scale + b)) / scale;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return { low: Number(low), high: Number(high > max ? max : high) };
}

/** The band price an order of `side` may trade up to: the band's high for a buy, its low for a sell. */
export function bandLimit(band: PriceBand, side: Side): number {
  return side === 'BUY' ? band.high : band.low;
}

/** True when `priceTicks` lies in `band` (both ends included). */
export function inBand(priceTicks: number, band: PriceBand): boolean {
  return priceTicks >= band.low && priceTicks <= band.high;
}

/**
 * Refuses a limit price outside the band with BAD_USER_INPUT / PRICE_OUT_OF_BAND on `price`.
 * `show` turns ticks into the decimal the message names.
 */
export function checkBand(priceTicks: number, band: PriceBand | null, show: (ticks: number) => string): void {
  if (band === null || inBand(priceTicks, band)) return;
  throw badInput('PRICE_OUT_OF_BAND', `Price must be within the price band ${show(band.low)} to ${show(band.high)}.`, 'price');
}

/**
 * The largest notional in ticks × lots that a notional limit of `max` (a decimal in the product
 * currency) allows at `tickSize`: ⌊max / tickSize⌋, exact.
 */
export function maxNotionalTicks(max: string, tickSize: string): bigint {
  const [mi, mf = ''] = max.split('.');
  const [ti, tf = ''] = tickSize.split('.');
  const places = Math.max(mf.length, tf.length);
  const m = BigInt(`${mi}${mf.padEnd(places, '0')}`);
  const t = BigInt(`${ti}${tf.padEnd(places, '0')}`);
  return t === 0n ? 0n : m / t;
}

/** Size limits of one order on one product. */
export interface OrderSizeLimits {
  /** Lots. */
  readonly maxOrderQty: number;
  /** Ticks × lots (see {@link maxNotionalTicks}). */
  readonly maxNotionalTicks: bigint;
}

/** Refuses a quantity above the product's maximum (QUANTITY_TOO_LARGE on `quantity`). */
export function checkOrderQty(qty: number, limits: OrderSizeLimits): void {
  if (qty > limits.maxOrderQty) throw badInput('QUANTITY_TOO_LARGE', `Quantity must be at most ${limits.maxOrderQty} for this product.`, 'quantity');
}

/**
 * Refuses an order whose notional (price × quantity; a market order's at its band price, the
 * worst it may trade at) is above the product's maximum: ORDER_NOTIONAL_TOO_LARGE on `quantity`.
 * `show` prints the limit in the product currency.
 */
export function checkOrderNotional(priceTicks: number, qty: number, limits: OrderSizeLimits, show: string): void {
  if (BigInt(priceTicks) * BigInt(qty) > limits.maxNotionalTicks) {
    throw badInput('ORDER_NOTIONAL_TOO_LARGE', `Price × quantity must be at most ${show} for this product.`, 'quantity');
  }
}

/** How far an account may go short a product. */
export type ShortSalePolicy = 'ALLOWED' | 'COVERED_ONLY';

/** Position limits of one account on one product, in lots (both at least 0). */
export interface PositionLimits {
  readonly maxLong: number;
  readonly maxShort: number;
}

/** An account's exposure on one product: filled net position and the leaves of its open orders. */
export interface Exposure {
  /** Bought − sold, filled. */
  readonly net: bigint;
  /** Leaves of open (and in-flight) buy orders. */
  readonly openBuy: bigint;
  /** Leaves of open (and in-flight) sell orders. */
  readonly openSell: bigint;
}

/**
 * Position limits counting open orders: after adding `qty` on `side`, the largest long the
 * account could reach (net + every open buy filled) must be at most `maxLong`, and the largest
 * short (−net + every open sell filled) at most `maxShort`; under COVERED_ONLY at most 0 (sells
 * only against what is held and not already offered). Refusals are CONFLICT on `quantity`:
 * POSITION_LIMIT, or SHORT_SALE_NOT_ALLOWED for a sell that is over only because shorting is off.
 */
export function checkPosition(side: Side, qty: number, exposure: Exposure, limits: PositionLimits, policy: ShortSalePolicy): void {
  const q = BigInt(qty);
  if (side === 'BUY') {
    const long = exposure.net + exposure.openBuy + q;
    if (long > BigInt(limits.maxLong)) {
      const room = BigInt(limits.maxLong) - exposure.net - exposure.openBuy;
      throw new DomainError('CONFLICT', 'POSITION_LIMIT', `This order would take your long position in this product past ${limits.maxLong} (counting open orders); at most ${room > 0n ? room : 0n} more can be bought.`, 'quantity');
    }
    return;
  }
  const short = -exposure.net + exposure.openSell + q;
  const maxShort = policy === 'COVERED_ONLY' ? 0n : BigInt(limits.maxShort);
  if (short > maxShort) {
    const room = maxShort + exposure.net - exposure.openSell;
    const left = room > 0n ? room : 0n;
    if (policy === 'COVERED_ONLY') {
      throw new DomainError('CONFLICT', 'SHORT_SALE_NOT_ALLOWED', `Short selling is not allowed: you can sell at most ${left} (what you hold, less open sell orders).`, 'quantity');
    }
    throw new DomainError('CONFLICT', 'POSITION_LIMIT', `This order would take your short position in this product past ${limits.maxShort} (counting open orders); at most ${left} more can be sold.`, 'quantity');
  }
}
