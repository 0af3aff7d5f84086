/**
 * The ticket's mirror of the server's pre-trade checks (docs/API.md, "Pre-trade checks"): the
 * limits come from the API (`riskLimits`), never from constants here, and the reasons and fields
 * are the server's. The server stays the authority: its refusals are shown the same way.
 */
import { compareDecimal, divDecimal, mulDecimalInt, parseDecimal, signOf, subDecimal } from '@trading-app/api/decimal';
import type { TicketErrors } from './ticket';

/** What the ticket needs of the `riskLimits` query. */
export interface TicketLimits {
  readonly bandLow?: string | null;
  readonly bandHigh?: string | null;
  readonly maxOrderQuantity: number;
  readonly maxOrderNotional: string;
  readonly maxLongPosition: number;
  readonly maxShortPosition: number;
  readonly position?: number | null;
  readonly openBuyQuantity?: number | null;
  readonly openSellQuantity?: number | null;
  readonly confirmPercent: string;
  readonly confirmNotional: string;
}

/** An order as the checks see it: quantity a positive whole number, price a decimal (limit) or absent (market). */
export interface RiskDraft {
  readonly side: 'BUY' | 'SELL';
  readonly type: 'LIMIT' | 'MARKET';
  readonly quantity: number;
  readonly price?: string;
}

const grouped = (n: number | bigint) => n.toLocaleString('en-US');

/** A decimal string with its integer digits grouped: "118135.00" → "118,135.00". */
export function groupDecimal(d: string): string {
  const [int, frac] = d.split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = sign ? int!.slice(1) : int!;
  return `${sign}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac === undefined ? '' : `.${frac}`}`;
}

/** The worst price an order may trade at: its limit, or for a market order its band edge (null when unknown). */
export function worstPrice(draft: RiskDraft, limits: TicketLimits): string | null {
  if (draft.type === 'LIMIT') return draft.price ?? null;
  return (draft.side === 'BUY' ? limits.bandHigh : limits.bandLow) ?? null;
}

/** The refusals the server would give this well-formed order, per field (empty when none). */
export function riskErrors(draft: RiskDraft, limits: TicketLimits): TicketErrors {
  const errors: TicketErrors = {};
  const { bandLow, bandHigh } = limits;
  if (draft.type === 'LIMIT' && draft.price && bandLow && bandHigh && (compareDecimal(draft.price, bandLow) < 0 || compareDecimal(draft.price, bandHigh) > 0)) {
    errors.price = { reason: 'PRICE_OUT_OF_BAND', message: `Price must be within the price band ${bandLow} to ${bandHigh}.` };
  }
  const q = draft.quantity;
  if (q > limits.maxOrderQuantity) {
    errors.quantity = { reason: 'QUANTITY_TOO_LARGE', message: `Quantity must be at most ${grouped(limits.maxOrderQuantity)} for this product.` };
    return errors;
  }
  const worst = worstPrice(draft, limits);
  if (worst && compareDecimal(mulDecimalInt(worst, q), limits.maxOrderNotional) > 0) {
    errors.quantity = { reason: 'ORDER_NOTIONAL_TOO_LARGE', message: `Price × quantity must be at most ${groupDecimal(limits.maxOrderNotional)} for this product.` };
    return errors;
  }
  if (limits.position != null) {
    const net = BigInt(limits.position);
    if (draft.side === 'BUY') {
      const room = BigInt(limits.maxLongPosition) - net - BigInt(limits.openBuyQuantity ?? 0);
      if (BigInt(q) > room) {
        errors.quantity = { reason: 'POSITION_LIMIT', message: `Position limit: at most ${grouped(room > 0n ? room : 0n)} more can be bought (long limit ${grouped(limits.maxLongPosition)}, counting open orders).` };
      }
    } else {
      const room = BigInt(limits.maxShortPosition) + net - BigInt(limits.openSellQuantity ?? 0);
      if (BigInt(q) > room) {
        errors.quantity = { reason: 'POSITION_LIMIT', message: `Position limit: at most ${grouped(room > 0n ? room : 0n)} more can be sold (short limit ${grouped(limits.maxShortPosition)}, counting open orders).` };
      }
    }
  }
  return errors;
}

/**
 * Why the ticket should ask before sending (null: no need): a limit price at least
 * `confirmPercent` from the last trade, or a notional (a market order's at its band price) of at
 * least `confirmNotional`.
 */
export function confirmationNeeded(draft: RiskDraft, last: string | null | undefined, limits: TicketLimits): string | null {
  const reasons: string[] = [];
  if (draft.type === 'LIMIT' && draft.price && last && parseDecimal(last) && signOf(last) > 0) {
    const diff = subDecimal(draft.price, last);
    const away = divDecimal(signOf(diff) < 0 ? subDecimal('0', diff) : diff, last, 6);
    const pct = divDecimal(mulDecimalInt(away, 100), '1', 2);
    if (compareDecimal(pct, limits.confirmPercent) >= 0) reasons.push(`the price is ${pct}% ${signOf(diff) > 0 ? 'above' : 'below'} the last trade (${last})`);
  }
  const worst = worstPrice(draft, limits);
  if (worst) {
    const notional = mulDecimalInt(worst, draft.quantity);
    if (compareDecimal(notional, limits.confirmNotional) >= 0) reasons.push(`the order is worth ${draft.type === 'MARKET' ? 'up to ' : ''}${groupDecimal(notional)}`);
  }
  return reasons.length === 0 ? null : `Please confirm: ${reasons.join(' and ')}.`;
}
