/**
 * The order ticket's client-side validation. It mirrors the server's checks (same limits, same
 * field names, same reasons) so most mistakes are caught before a round trip; the server stays
 * the authority and its coded errors are shown the same way.
 */
import type { OrdType, PlaceOrderInput, Side, TimeInForce } from '../graphql/generated/graphql';
import { isDecimal, isOnTick, signOf } from '@trading-app/api/decimal';

/**
 * Largest quantity the API can carry (GraphQL Int). The product's own limit comes from the API
 * (`riskLimits`, checked in lib/risk.ts), never from a constant here.
 */
export const LARGEST_QUANTITY = 2_147_483_647;

/** Time in force allowed for each order type. */
export const TIF_BY_TYPE: Readonly<Record<OrdType, readonly TimeInForce[]>> = {
  LIMIT: ['DAY', 'GTC', 'IOC', 'FOK'],
  MARKET: ['IOC', 'FOK'],
};

/** What the ticket form holds: text as typed. */
export interface TicketDraft {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrdType;
  /** As typed; must be a whole number. */
  readonly quantity: string;
  /** As typed; ignored for market orders. */
  readonly price: string;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
}

/** The product the ticket trades. */
export interface TicketProduct {
  readonly symbol: string;
  readonly tickSize: string;
  readonly status: 'TRADING' | 'HALTED';
}

/** Fields a ticket error can belong to (the server's `extensions.field` names). */
export type TicketField = 'symbol' | 'quantity' | 'price' | 'timeInForce' | 'postOnly';

/** An error message per field, plus the server-style reason code. */
export type TicketErrors = Partial<Record<TicketField, { reason: string; message: string }>>;

export type TicketResult =
  | { readonly ok: true; readonly input: PlaceOrderInput }
  | { readonly ok: false; readonly errors: TicketErrors };

/** Checks a draft against a product; returns the mutation input or the errors per field. */
export function validateTicket(draft: TicketDraft, product: TicketProduct, clOrdId?: string): TicketResult {
  const errors: TicketErrors = {};

  if (product.status === 'HALTED') {
    errors.symbol = { reason: 'SYMBOL_HALTED', message: `Trading in ${product.symbol} is halted.` };
  }

  const qtyText = draft.quantity.trim().replace(/[,_\s]/g, '');
  let quantity = 0;
  if (!/^\d+$/.test(qtyText) || (quantity = Number(qtyText)) <= 0) {
    errors.quantity = { reason: 'INVALID_QUANTITY', message: 'Quantity must be a positive whole number.' };
  } else if (quantity > LARGEST_QUANTITY) {
    errors.quantity = { reason: 'QUANTITY_TOO_LARGE', message: `Quantity must be at most ${LARGEST_QUANTITY.toLocaleString('en-US')}.` };
  }

  const priceText = draft.price.trim();
  if (draft.type === 'LIMIT') {
    if (priceText === '') {
      errors.price = { reason: 'PRICE_REQUIRED', message: 'A limit order needs a price.' };
    } else if (!isDecimal(priceText)) {
      errors.price = { reason: 'INVALID_PRICE', message: 'Price must be a positive decimal such as 12.34.' };
    } else if (signOf(priceText) <= 0) {
      errors.price = { reason: 'INVALID_PRICE', message: 'Price must be positive.' };
    } else if (!isOnTick(priceText, product.tickSize)) {
      errors.price = { reason: 'PRICE_OFF_TICK', message: `Price must be a multiple of the tick size ${product.tickSize}.` };
    }
  }

  if (!TIF_BY_TYPE[draft.type].includes(draft.timeInForce)) {
    errors.timeInForce = { reason: 'INVALID_TIME_IN_FORCE', message: 'A market order must be IOC or FOK.' };
  }

  if (draft.postOnly && (draft.type !== 'LIMIT' || (draft.timeInForce !== 'DAY' && draft.timeInForce !== 'GTC'))) {
    errors.postOnly = { reason: 'POST_ONLY_NOT_ALLOWED', message: 'Post-only applies to resting (DAY or GTC) limit orders.' };
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      symbol: product.symbol,
      side: draft.side,
      type: draft.type,
      quantity,
      ...(draft.type === 'LIMIT' ? { price: priceText } : {}),
      timeInForce: draft.timeInForce,
      ...(draft.postOnly ? { postOnly: true } : {}),
      ...(clOrdId ? { clOrdId } : {}),
    },
  };
}

/**
 * The price a ticket starts with: the side's far touch (a buy at the ask, a sell at the bid),
 * else the last trade, else the reference price; empty when there is none.
 */
export function prefillPrice(side: Side, quote: { bid?: string | null; ask?: string | null; last?: string | null; reference?: string | null }): string {
  const touch = side === 'BUY' ? quote.ask : quote.bid;
  return touch ?? quote.last ?? quote.reference ?? '';
}
