import type { Hub } from '../realtime/hub.js';
import { engineError, isEngineReason } from '../../errors.js';
import { toFixRejection } from './fix-rejections.js';
import type { Logger } from '../../logger.js';
import type { ExecReportMsg, Topics } from '../realtime/messages.js';
import { EXEC_TYPE_TO_FIX, leftBookText } from './fix-codes.js';
import { orderReport, type FixMessage } from './report-builder.js';

/** The ClOrdID (11) and OrigClOrdID (41) a cancel or replace gives to the reports it causes. */
export interface Attribution {
  readonly clOrdId: string;
  readonly origClOrdId: string;
}

/** Execution reports by ExecID (17). */
export type Attributions = ReadonlyMap<string, Attribution>;

const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

/**
 * One account's execution reports, from the bus to one FIX session: every state change of the
 * account's orders, whichever channel or replica caused it, sent once each as an
 * ExecutionReport (8), in commit order. The gateway never answers a successful request itself;
 * the bus report is the answer, so nothing is reported twice.
 *
 * A cancel or replace sent over FIX carries a new ClOrdID; its own report must carry it (and
 * the OrigClOrdID). The request {@link hold}s its order's reports until its outcome is known and
 * names the ExecIDs it caused; later reports of a replaced order carry the latest ClOrdID.
 */
export class ReportStream {
  private readonly queue: ExecReportMsg[] = [];
  private readonly holds = new Map<number, Promise<void>>();
  private readonly attributions = new Map<string, Attribution>();
  private subscription: (AsyncIterator<ExecReportMsg> & AsyncIterable<ExecReportMsg>) | undefined;
  private pumping = false;
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly pubsub: Hub<Topics>;
      readonly accountId: number;
      /** The latest ClOrdID of orders replaced over FIX (others go by their original one). */
      readonly latest: Map<number, string>;
      readonly send: (message: FixMessage) => void;
      readonly production: boolean;
      readonly logger: Logger;
    },
  ) {}

  /** Subscribes to the account's reports. Call before accepting any request of the session. */
  start(): void {
    const subscription = this.deps.pubsub.subscribe('exec', this.deps.accountId);
    this.subscription = subscription;
    void this.consume(subscription);
  }

  stop(): void {
    this.stopped = true;
    void this.subscription?.return?.();
  }

  /** Holds the reports of `orderId` until `outcome` settles with the attributions of the ExecIDs it caused. */
  hold(orderId: number, outcome: Promise<Attributions>): void {
    const previous = this.holds.get(orderId) ?? Promise.resolve();
    const attributed = outcome.then(
      (a) => a.forEach((v, k) => this.attributions.set(k, v)),
      () => {},
    );
    const next = Promise.all([previous, attributed]).then(() => {});
    this.holds.set(orderId, next);
    void next.then(() => {
      if (this.holds.get(orderId) === next) this.holds.delete(orderId);
      this.kick();
    });
  }

  /** Drains the subscription at once into our own queue (the bus must never wait for this session). */
  private async consume(subscription: AsyncIterable<ExecReportMsg>): Promise<void> {
    try {
      for await (const m of subscription) {
        this.queue.push(m);
        this.kick();
      }
    } catch (err) {
      if (!this.stopped) this.deps.logger.error({ component: 'fix', accountId: this.deps.accountId, err }, 'execution report subscription failed');
    }
  }

  private kick(): void {
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const held = this.holds.get(this.queue[0]!.order.id);
        if (held) await held;
        const m = this.queue.shift()!;
        try {
          this.deps.send(this.toReport(m));
        } catch (err) {
          this.deps.logger.error({ component: 'fix', accountId: this.deps.accountId, execId: m.execId, err }, 'building an execution report failed');
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private toReport(m: ExecReportMsg): FixMessage {
    const { latest } = this.deps;
    const orderId = m.order.id;
    const current = latest.get(orderId) ?? m.order.clOrdId;
    const attribution = this.attributions.get(m.execId);
    if (attribution) this.attributions.delete(m.execId);
    const clOrdId = attribution?.clOrdId ?? current;
    let origClOrdId = attribution?.origClOrdId;
    if (m.execType === 'REPLACED') {
      // Amended over another channel, the ClOrdID stays what it was.
      origClOrdId ??= current;
      latest.set(orderId, clOrdId);
    }
    if (TERMINAL.has(m.order.status)) latest.delete(orderId);
    const rejection = m.execType === 'REJECTED' && m.reason && isEngineReason(m.reason) ? toFixRejection(engineError(m.reason), this.deps.production) : undefined;
    return orderReport(m.order, m.tickSize, {
      execId: m.execId,
      execType: EXEC_TYPE_TO_FIX[m.execType],
      clOrdId,
      origClOrdId,
      lastQty: m.lastQty,
      lastPxTicks: m.lastPxTicks,
      ordRejReason: rejection?.ordRejReason,
      text: rejection?.text ?? (m.reason === null ? null : leftBookText(m.reason)),
      time: new Date(m.time),
    });
  }
}
