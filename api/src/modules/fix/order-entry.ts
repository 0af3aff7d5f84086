import { randomUUID } from 'node:crypto';
import { MsgType } from 'jspurefix';
import { badInput, conflict, notFound } from '../../errors.js';
import { toFixRejection, type FixRejection } from './fix-rejections.js';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services.js';
import type { OrderOutcome } from '../orders/order-path.js';
import type { OrderRecord } from '../orders/order-record.js';
import type { Actor } from '../orders/order.service.js';
import { tickSizeOf } from '../products/product.service.js';
import { executionReports } from '../orders/execution-reports.js';
import type { AccountClOrdIds, ClOrdIdMap } from './cl-ord-id-map.js';
import { EXEC_TYPE_ORDER_STATUS, SIDE_TO_FIX } from './fix-codes.js';
import {
  parseCancel,
  parseNewOrder,
  parseOrderId,
  parseReplace,
  parseStatus,
  type CancelRequest,
  type FieldDictionary,
  type FieldSource,
  type NewOrderRequest,
  type OrderEcho,
  type Parsed,
  type ReplaceRequest,
  type StatusRequest,
} from './order-mapping.js';
import {
  cancelReject,
  orderReport,
  refusedOrderReport,
  sessionReject,
  unknownOrderReport,
  type CancelRejectTo,
  type FixMessage,
} from './report-builder.js';
import { ReportStream, type Attribution, type Attributions } from './report-stream.js';
import { parseMassCancel, runMassCancel } from './mass-cancel.js';

/** What order entry needs from the platform. */
export type OrderEntryServices = Pick<Services, 'orders' | 'products' | 'bus' | 'config' | 'killSwitch'>;

/** The account a session trades for. */
export interface SessionAccount {
  readonly id: number;
  readonly username: string;
}

/** What one session's order entry works with. */
export interface OrderEntryDeps {
  readonly services: OrderEntryServices;
  readonly account: SessionAccount;
  readonly clOrdIds: ClOrdIdMap;
  readonly dict: FieldDictionary;
  /** Sends an application or session message on the session. */
  readonly send: (message: FixMessage) => void;
  readonly logger: Logger;
}

/**
 * The application side of one logged-on FIX session: NewOrderSingle, OrderCancelRequest,
 * OrderCancelReplaceRequest and OrderStatusRequest through the same order service (validation,
 * order path) as GraphQL, and the account's execution reports from the bus.
 *
 * Requests run concurrently (so they share group commits), except that a request naming a
 * ClOrdID waits for the request that introduced it, and cancels/replaces of one order run one
 * after another. Successful requests are answered by the bus report; refusals are answered here.
 */
export class OrderEntry {
  /** In-flight requests by the ClOrdID they introduce. */
  private readonly pending = new Map<string, { readonly kind: string; readonly done: Promise<unknown> }>();
  /** The tail of each order's queue of cancels/replaces. */
  private readonly perOrder = new Map<number, Promise<unknown>>();
  /** Latest ClOrdID of orders replaced over FIX, as accepted (the report stream keeps its own, as reported). */
  private readonly latest: Map<number, string>;
  /** ClOrdIDs used by recent accepted cancels and replaces (a NewOrderSingle may not reuse them). */
  private readonly usedByRequests: Set<string>;
  private readonly reports: ReportStream;
  private readonly actor: Actor;
  private readonly production: boolean;

  private constructor(
    private readonly deps: OrderEntryDeps,
    known: AccountClOrdIds,
  ) {
    this.latest = known.latest;
    this.usedByRequests = known.usedByRequests;
    this.actor = { id: deps.account.id, admin: false };
    this.production = deps.services.config.NODE_ENV === 'production';
    this.reports = new ReportStream({
      pubsub: deps.services.bus.pubsub,
      accountId: deps.account.id,
      latest: new Map(known.latest),
      send: deps.send,
      production: this.production,
      logger: deps.logger,
    });
  }

  /**
   * Starts order entry for a logged-on account and subscribes to its execution reports.
   * `known`: ClOrdIdMap.load of the account, read during the logon.
   */
  static start(deps: OrderEntryDeps, known: AccountClOrdIds): OrderEntry {
    const entry = new OrderEntry(deps, known);
    entry.reports.start();
    return entry;
  }

  /** Stops the report stream; requests still running finish without reporting. */
  close(): void {
    this.reports.stop();
  }

  /**
   * Handles one application message. `m` is read before this returns (a jspurefix view is only
   * valid during its callback); the work continues asynchronously.
   */
  handle(msgType: string, seqNum: number, m: FieldSource): void {
    const { dict } = this.deps;
    const refuseCancel = (to: CancelRejectTo) => (echo: OrderEcho, origClOrdId: string, e: unknown) =>
      this.refuseCancel({ clOrdId: echo.clOrdId, origClOrdId }, undefined, to, e);
    switch (msgType) {
      case MsgType.NewOrderSingle:
        return this.dispatch(parseNewOrder(m, dict), msgType, seqNum, (r) => this.newOrder(r), (echo, _, e) => this.refuseOrder(echo, e));
      case MsgType.OrderCancelRequest:
        return this.dispatch(parseCancel(m, dict), msgType, seqNum, (r) => this.cancel(r), refuseCancel('cancel'));
      case MsgType.OrderCancelReplaceRequest:
        return this.dispatch(parseReplace(m, dict), msgType, seqNum, (r) => this.replace(r), refuseCancel('replace'));
      case MsgType.OrderMassCancelRequest:
        return this.massCancel(seqNum, m);
      case MsgType.OrderStatusRequest:
        return this.dispatch(parseStatus(m, dict), msgType, seqNum, (r) => this.status(r), (echo, _, e) =>
          this.deps.send(unknownOrderReport(echo, null, randomUUID(), new Date(), this.rejection(e).text)),
        );
      default:
        throw new Error(`OrderEntry cannot handle MsgType ${msgType}`);
    }
  }

  /**
   * Answers a malformed message with a session Reject and a refused one with its business
   * answer; otherwise runs the request, registered under the ClOrdID it introduces (a status
   * request introduces none).
   */
  private dispatch<T extends { readonly clOrdId: string; readonly echo: OrderEcho; readonly origClOrdId?: string }>(
    parsed: Parsed<T>,
    msgType: string,
    seqNum: number,
    run: (request: T) => Promise<void>,
    refuse: (echo: OrderEcho, origClOrdId: string, error: unknown) => void,
  ): void {
    if (parsed.kind === 'session') return this.deps.send(sessionReject(seqNum, msgType, parsed));
    if (parsed.kind === 'business') return refuse(parsed.echo, parsed.origClOrdId, parsed.error);
    const request = parsed.value;
    const done = run(request).catch((err: unknown) => {
      this.deps.logger.error({ component: 'fix', accountId: this.deps.account.id, msgType, clOrdId: request.clOrdId, err }, 'FIX request failed');
      refuse(request.echo, request.origClOrdId ?? '', err);
    });
    if (msgType === MsgType.OrderStatusRequest) return;
    const entry = { kind: msgType, done };
    this.pending.set(request.clOrdId, entry);
    void done.finally(() => {
      if (this.pending.get(request.clOrdId) === entry) this.pending.delete(request.clOrdId);
    });
  }

  /**
   * OrderMassCancelRequest (q): the account's open orders (of one Symbol, or all; of one Side
   * when given) canceled through the kill switch; answered by an OrderMassCancelReport (r) once
   * the cancels committed, each canceled order by its own ExecutionReport from the bus.
   */
  private massCancel(seqNum: number, m: FieldSource): void {
    const parsed = parseMassCancel(m, this.deps.dict);
    if ('kind' in parsed) return this.deps.send(sessionReject(seqNum, MsgType.OrderMassCancelRequest, parsed));
    void runMassCancel(this.deps.services.killSwitch, this.deps.account.id, parsed, this.production).then(this.deps.send, (err: unknown) =>
      this.deps.logger.error({ component: 'fix', accountId: this.deps.account.id, err }, 'FIX mass cancel failed'),
    );
  }

  private async newOrder(r: NewOrderRequest): Promise<void> {
    const { account, services } = this.deps;
    const inFlight = this.pending.get(r.clOrdId);
    if ((inFlight && inFlight.kind !== MsgType.NewOrderSingle) || this.usedByRequests.has(r.clOrdId)) {
      return this.refuseOrder(r.echo, duplicateClOrdId(r.clOrdId));
    }
    if (r.account !== null && r.account !== account.username) {
      return this.refuseOrder(r.echo, badInput('UNKNOWN_ACCOUNT', `Account ${r.account} is not the logged-on account.`, 'account'));
    }
    let outcome: OrderOutcome;
    try {
      outcome = await services.orders.place(
        this.actor,
        { clOrdId: r.clOrdId, symbol: r.symbol, side: r.side, type: r.type, price: r.price, quantity: r.quantity, timeInForce: r.timeInForce, postOnly: r.postOnly },
        'fix',
      );
    } catch (e) {
      return this.refuseOrder(r.echo, e);
    }
    // A retry of a ClOrdID already used for this order: its current state, never a second order.
    if (outcome.duplicate) await this.sendStatus(outcome.order, r.clOrdId, null, 'Duplicate ClOrdID: this is the existing order.');
  }

  private async cancel(r: CancelRequest): Promise<void> {
    const order = await this.target(r, 'cancel');
    if (!order) return;
    await this.serialize(order.id, () =>
      this.modify(r, order, 'cancel', () => this.deps.services.orders.cancel(this.actor, order.id, 'fix')),
    );
  }

  private async replace(r: ReplaceRequest): Promise<void> {
    const order = await this.target(r, 'replace');
    if (!order) return;
    if (r.type !== order.ordType) return this.refuseCancel(r, order, 'replace', badInput('UNSUPPORTED_ORDER', 'OrdType cannot be changed.', 'type'));
    if (r.timeInForce !== null && r.timeInForce !== order.tif) {
      return this.refuseCancel(r, order, 'replace', badInput('UNSUPPORTED_ORDER', 'TimeInForce cannot be changed.', 'timeInForce'));
    }
    if (r.postOnly !== null && r.postOnly !== order.postOnly) {
      return this.refuseCancel(r, order, 'replace', badInput('UNSUPPORTED_ORDER', 'ExecInst (post-only) cannot be changed.', 'postOnly'));
    }
    await this.serialize(order.id, () =>
      this.modify(r, order, 'replace', async () => {
        const outcome = await this.deps.services.orders.amend(this.actor, order.id, r.quantity, r.price, 'fix');
        this.latest.set(order.id, r.clOrdId);
        return outcome;
      }),
    );
  }

  private async status(r: StatusRequest): Promise<void> {
    await this.pending.get(r.clOrdId)?.done;
    const order = await this.find(r.clOrdId, r.orderId);
    if (!order) {
      this.deps.send(unknownOrderReport(r.echo, r.statusReqId, randomUUID(), new Date()));
      return;
    }
    await this.sendStatus(order, r.clOrdId, r.statusReqId, null);
  }

  /** The order a cancel/replace names, once the request that introduced OrigClOrdID is done; refuses when unknown or mismatched. */
  private async target(r: CancelRequest, to: CancelRejectTo): Promise<OrderRecord | undefined> {
    // An earlier request still in flight introduced this ClOrdID.
    if (this.pending.has(r.clOrdId)) {
      this.refuseCancel(r, undefined, to, duplicateClOrdId(r.clOrdId));
      return undefined;
    }
    await this.pending.get(r.origClOrdId)?.done;
    const order = await this.find(r.origClOrdId, r.orderId);
    if (!order) {
      this.refuseCancel(r, undefined, to, notFound('ORDER_NOT_FOUND', `No order with OrigClOrdID ${r.origClOrdId}.`));
      return undefined;
    }
    if (order.symbol !== r.echo.symbol || SIDE_TO_FIX[order.side] !== r.echo.side) {
      this.refuseCancel(r, order, to, badInput('ORDER_MISMATCH', 'Symbol and Side must be those of the order.'));
      return undefined;
    }
    return order;
  }

  /**
   * Runs a cancel or replace: reserves its ClOrdID, holds the order's reports until the outcome
   * names the ExecIDs it caused (they carry the request's ClOrdID and OrigClOrdID), or answers
   * an OrderCancelReject.
   */
  private async modify(r: CancelRequest, order: OrderRecord, to: CancelRejectTo, run: () => Promise<OrderOutcome>): Promise<void> {
    const { account, clOrdIds, services } = this.deps;
    const current = this.latest.get(order.id) ?? order.clOrdId;
    if (!(await clOrdIds.claim(account.id, r.clOrdId, order.id, current, to === 'cancel' ? 'CANCEL' : 'REPLACE'))) {
      return this.refuseCancel(r, order, to, duplicateClOrdId(r.clOrdId));
    }
    this.usedByRequests.add(r.clOrdId);
    let settle!: (a: Attributions) => void;
    this.reports.hold(order.id, new Promise<Attributions>((resolve) => (settle = resolve)));
    try {
      const outcome = await run();
      settle(attributionsOf(order, outcome, { clOrdId: r.clOrdId, origClOrdId: r.origClOrdId }));
    } catch (e) {
      settle(new Map());
      this.usedByRequests.delete(r.clOrdId);
      await clOrdIds.release(account.id, r.clOrdId);
      this.refuseCancel(r, (await services.orders.get(order.id)) ?? order, to, e);
    }
  }

  /** Runs `task` after every earlier cancel/replace of the same order. */
  private serialize(orderId: number, task: () => Promise<void>): Promise<void> {
    const run = (this.perOrder.get(orderId) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => {});
    this.perOrder.set(orderId, tail);
    void tail.then(() => {
      if (this.perOrder.get(orderId) === tail) this.perOrder.delete(orderId);
    });
    return run;
  }

  /** The account's order by any of its ClOrdIDs, or by OrderID (37). */
  private async find(clOrdId: string, orderId: string | null): Promise<OrderRecord | undefined> {
    const { account, clOrdIds, services } = this.deps;
    const byClOrdId = await clOrdIds.resolve(account.id, clOrdId);
    if (byClOrdId) return byClOrdId;
    const id = parseOrderId(orderId);
    const byId = id === undefined ? undefined : await services.orders.get(id);
    return byId?.accountId === account.id ? byId : undefined;
  }

  private async sendStatus(order: OrderRecord, clOrdId: string, statusReqId: string | null, text: string | null): Promise<void> {
    const product = await this.deps.services.products.cached(order.symbol);
    this.deps.send(
      orderReport(order, tickSizeOf(product), {
        execId: randomUUID(),
        execType: EXEC_TYPE_ORDER_STATUS,
        clOrdId,
        statusReqId,
        text,
        time: new Date(),
      }),
    );
  }

  private rejection(error: unknown): FixRejection {
    return toFixRejection(error, this.production);
  }

  private refuseOrder(echo: OrderEcho, error: unknown): void {
    this.deps.send(refusedOrderReport(echo, this.rejection(error), randomUUID(), new Date()));
  }

  private refuseCancel(r: { readonly clOrdId: string; readonly origClOrdId: string }, order: OrderRecord | undefined, to: CancelRejectTo, error: unknown): void {
    this.deps.send(cancelReject(r, order, to, this.rejection(error), new Date()));
  }
}

function duplicateClOrdId(clOrdId: string) {
  return conflict('DUPLICATE_CL_ORD_ID', `ClOrdID ${clOrdId} was already used.`);
}

/** The ExecIDs of the cancel/replace reports a request caused on its order, with the request's ClOrdIDs. */
function attributionsOf(order: OrderRecord, outcome: OrderOutcome, attribution: Attribution): Attributions {
  const reports = executionReports(order.symbol, outcome.events, new Map([[order.id, outcome.order]]));
  return new Map(
    reports
      .filter((r) => r.order.id === order.id && (r.execType === 'CANCELED' || r.execType === 'REPLACED'))
      .map((r) => [r.execId, attribution]),
  );
}
