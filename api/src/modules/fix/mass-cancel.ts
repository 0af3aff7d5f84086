/**
 * OrderMassCancelRequest (q) → OrderMassCancelReport (r). The parse and the report are pure;
 * {@link runMassCancel} cancels through the kill switch (the order path), so every canceled
 * order also gets its own ExecutionReport (150=4, Text saying it was a mass cancel).
 */
import { randomUUID } from 'node:crypto';
import { MsgTag, MsgType } from 'jspurefix';
import {
  MassCancelRejectReason,
  MassCancelRequestType,
  MassCancelResponse,
  SessionRejectReason,
} from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import type { Side } from '../../engine/index.js';
import { DomainError } from '../../errors.js';
import type { KillSwitch } from '../orders/kill-switch.js';
import { SIDE_FROM_FIX } from './fix-codes.js';
import type { FieldDictionary, FieldSource, SessionProblem } from './order-mapping.js';
import type { FixMessage } from './report-builder.js';

/** A well-formed OrderMassCancelRequest. */
export interface MassCancelRequest {
  readonly clOrdId: string;
  /** MassCancelRequestType (530) as received. */
  readonly type: string;
  readonly symbol: string | null;
  /** Side (54) as received, when given. */
  readonly side: string | null;
}

/** The request, or the session Reject a malformed one gets (missing ClOrdID or 530, a value outside FIX). */
export function parseMassCancel(m: FieldSource, dict: FieldDictionary): MassCancelRequest | SessionProblem {
  const problem = (refTagId: number, reason: SessionRejectReason, text: string): SessionProblem => ({ kind: 'session', refTagId, reason, text });
  const clOrdId = m.getString(MsgTag.ClOrdID);
  if (!clOrdId) return problem(MsgTag.ClOrdID, SessionRejectReason.RequiredTagMissing, 'Required tag 11 missing.');
  const type = m.getString(MsgTag.MassCancelRequestType);
  if (!type) return problem(MsgTag.MassCancelRequestType, SessionRejectReason.RequiredTagMissing, 'Required tag 530 missing.');
  if (!dict.allows(MsgTag.MassCancelRequestType, type)) {
    return problem(MsgTag.MassCancelRequestType, SessionRejectReason.ValueIsIncorrect, `MassCancelRequestType ${type} is not a FIX 4.4 value.`);
  }
  const side = m.getString(MsgTag.Side);
  if (side !== null && !dict.allows(MsgTag.Side, side)) return problem(MsgTag.Side, SessionRejectReason.ValueIsIncorrect, `Side ${side} is not a FIX 4.4 value.`);
  return { clOrdId, type, symbol: m.getString(MsgTag.Symbol) || null, side };
}

/** What the report says: canceled orders (530 echoed in 531), or a refusal (531=0) with 532 and Text. */
export type MassCancelOutcome =
  | { readonly kind: 'done'; readonly canceled: number }
  | { readonly kind: 'refused'; readonly rejectReason: string; readonly text: string };

/** OrderMassCancelReport (r). */
export function massCancelReport(r: MassCancelRequest, outcome: MassCancelOutcome, time: Date): FixMessage {
  const done = outcome.kind === 'done';
  return {
    msgType: MsgType.OrderMassCancelReport,
    body: {
      ClOrdID: r.clOrdId,
      OrderID: randomUUID(),
      MassCancelRequestType: r.type,
      MassCancelResponse: done ? r.type : MassCancelResponse.CancelRequestRejected,
      MassCancelRejectReason: done ? undefined : outcome.rejectReason,
      TotalAffectedOrders: done ? outcome.canceled : 0,
      Instrument: r.symbol ? { Symbol: r.symbol } : undefined,
      Side: r.side ?? undefined,
      TransactTime: time,
      Text: done ? undefined : outcome.text,
    },
  };
}

/** Which of the request's filters the platform supports, or why it refuses it. */
export function massCancelScope(r: MassCancelRequest): { readonly symbol: string | null; readonly side: Side | null } | Extract<MassCancelOutcome, { kind: 'refused' }> {
  const refused = (rejectReason: string, text: string) => ({ kind: 'refused', rejectReason, text }) as const;
  if (r.type !== MassCancelRequestType.CancelOrdersForASecurity && r.type !== MassCancelRequestType.CancelAllOrders) {
    return refused(MassCancelRejectReason.MassCancelNotSupported, 'MassCancelRequestType must be 1 (one security) or 7 (all orders).');
  }
  if (r.type === MassCancelRequestType.CancelOrdersForASecurity && !r.symbol) {
    return refused(MassCancelRejectReason.InvalidOrUnknownSecurity, 'MassCancelRequestType 1 needs a Symbol (55).');
  }
  const side = r.side === null ? null : (SIDE_FROM_FIX[r.side] ?? undefined);
  if (side === undefined) return refused(MassCancelRejectReason.Other, 'Side (54) must be 1 (buy) or 2 (sell).');
  return { symbol: r.type === MassCancelRequestType.CancelAllOrders ? null : r.symbol, side };
}

/** Cancels the account's orders the request names and builds its report. */
export async function runMassCancel(killSwitch: KillSwitch, accountId: number, r: MassCancelRequest, production: boolean): Promise<FixMessage> {
  const scope = massCancelScope(r);
  if ('kind' in scope) return massCancelReport(r, scope, new Date());
  try {
    const { canceled } = await killSwitch.cancelAll({ accountId, symbol: scope.symbol, side: scope.side }, 'MASS_CANCEL', 'fix');
    return massCancelReport(r, { kind: 'done', canceled }, new Date());
  } catch (e) {
    const unknown = e instanceof DomainError && e.reason === 'UNKNOWN_SYMBOL';
    const text = e instanceof DomainError ? e.message : production ? 'Internal server error.' : String((e as Error)?.message ?? e);
    return massCancelReport(r, { kind: 'refused', rejectReason: unknown ? MassCancelRejectReason.InvalidOrUnknownSecurity : MassCancelRejectReason.Other, text }, new Date());
  }
}
