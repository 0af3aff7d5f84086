import { randomUUID } from 'node:crypto';
import type { EngineEvent, OrderState } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import type { Logger } from '../../logger.js';
import type { CommittedBatch } from '../orders/order-path.js';
import type { JournalEntry } from '../orders/journal.js';
import { orderFromRow, withState, type OrderRecord } from '../orders/order-record.js';
import { DEFAULT_TICK_SIZE } from '../products/product-model.js';
import type { Hub } from './hub.js';
import { orderFromWire, orderToWire, type JournalMsg, type Topics } from './messages.js';
import { executionReports } from '../orders/execution-reports.js';

/**
 * Execution reports and order changes on every replica, complete and in order, whether or not
 * Redis is there.
 *
 * Reports of a symbol follow its book's sequence numbers, and the journal in the database has
 * every committed seq. So each process keeps, per symbol, a cursor: the seq up to which its own
 * subscribers have had the reports. A commit's reports are a *span* from one seq to the next
 * (a journal entry's range), and come from whichever source has them first:
 * - this process's commits, at once;
 * - another replica's commit heard on the bus (its journal message carries the engine events
 *   and the committed order states, so the reports are the writer's own);
 * - the book's replay of the journal here (warm replication, the catch-up at the lock, or the
 *   tail below): the engine is deterministic, so the replay gives the writer's events; the
 *   order rows are read from the database when the span is delivered. While the bus is up a
 *   replayed span waits a moment for the writer's message first, which saves that read.
 * Spans are delivered strictly in seq order, each once: a span at or behind the cursor is
 * dropped, one ahead of it waits for the ones between. A gap that no source fills (a book
 * rebuilt from the order rows skips the seqs between) is given up after a while, counted and
 * logged.
 *
 * While the bus is down (and slowly while it is up, against lost messages) the feed tails the
 * journal: symbols whose journal moved past the cursor are caught up (`sync`), and their
 * replay is reported. Refusals that moved no book (a rejected new order) have no seq: they
 * are delivered at once, locally and on the bus, and only the bus carries them to other
 * replicas.
 */
export interface ReportFeed {
  /** This process's id on the bus: its own messages come back and are ignored. */
  readonly origin: string;
  /** The order path's commit listener (this process's commits). */
  readonly committed: (batch: CommittedBatch) => void;
  /** Another replica's commit, heard on the bus. */
  heard(msg: JournalMsg): void;
  /** A journal entry replayed into this process's book, with its engine events (SyncHooks.onReplayed). */
  replayed(entry: JournalEntry, events: readonly EngineEvent[]): void;
  /**
   * A book was rebuilt from the order rows (SyncHooks.onReload): the seqs it skipped have no
   * replay here, so a gap at them is given up after a short wait for the bus, not the long one.
   */
  reloaded(symbol: string): void;
  /** The bus messages of a commit (one per symbol with events). */
  messages(batch: CommittedBatch): JournalMsg[];
  /** Starts delivering: cursors at the books' seqs (call once the books are loaded) and the tail. */
  start(seqs: ReadonlyMap<string, number>): void;
  /** Resolves once no delivery is in progress (graceful shutdown; spans still waiting for a gap are not waited for). */
  idle(): Promise<void>;
  /** Stops the tail and waits for deliveries in progress. */
  close(): Promise<void>;
}

export interface ReportFeedOptions {
  /** Local delivery: `exec` and `orders` must be local topics of this hub. */
  readonly pubsub: Hub<Topics>;
  readonly knex: Knex;
  /** Tick size of a symbol (prices on the wire). */
  readonly tickSize: (symbol: string) => Promise<string | undefined>;
  /** True while the bus is up. */
  readonly connected: () => boolean;
  /** Brings a symbol's book up to the committed seq (OrderPath.syncBook): its replay is reported. */
  readonly sync: (symbol: string) => Promise<void>;
  readonly logger: Logger;
  /** How long a replayed span waits for the writer's bus message while the bus is up; default 300 ms. */
  readonly graceMs?: number;
  /** Journal tail interval while the bus is down; default 250 ms. */
  readonly tailMs?: number;
  /** Journal tail interval while the bus is up (lost messages); default 5 s. */
  readonly slowTailMs?: number;
  /** How far back before its previous run the tail looks (late commits); default 10 s. */
  readonly tailMarginMs?: number;
  /** A gap no source fills is given up after this long; default 10 s. */
  readonly gapTimeoutMs?: number;
  /** Seqs given up (never reported here). */
  readonly onGap?: (symbol: string, fromSeq: number, toSeq: number) => void;
  /** Spans reported from the replay (order rows read), as opposed to the writer's own. */
  readonly onReplayedSpan?: () => void;
}

/** One symbol's reports from one seq to the next. */
interface Span {
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly events: readonly EngineEvent[];
  /** The writer's order states; absent for a replay here (read from the order rows when delivered). */
  readonly orders?: ReadonlyMap<number, OrderRecord>;
  /** Commit time (ms since the epoch): the `updatedAt` the writer gave the orders. */
  readonly time: number;
  /** When it was offered (performance.now()). */
  readonly offered: number;
}

interface SymbolState {
  cursor: number;
  readonly spans: Map<number, Span>;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Since when the span at the cursor has been missing while later ones wait. */
  gapSince: number | undefined;
  /** The book was reloaded since the last span delivered: a gap will not be replayed. */
  reloaded: boolean;
  synced: boolean;
}

export function createReportFeed(options: ReportFeedOptions): ReportFeed {
  const { pubsub, knex, logger } = options;
  const graceMs = options.graceMs ?? 300;
  const tailMs = options.tailMs ?? 250;
  const slowTailMs = options.slowTailMs ?? 5000;
  const marginMs = options.tailMarginMs ?? 10_000;
  const gapTimeoutMs = options.gapTimeoutMs ?? 10_000;
  const origin = randomUUID();
  const states = new Map<string, SymbolState>();
  let started = false;
  let closed = false;
  let tailTimer: NodeJS.Timeout | undefined;
  let tailing: Promise<void> | undefined;
  let lastTail = Date.now();
  let lastTailPerf = performance.now();

  const state = (symbol: string): SymbolState => {
    let s = states.get(symbol);
    if (!s) states.set(symbol, (s = { cursor: 0, spans: new Map(), running: undefined, timer: undefined, gapSince: undefined, synced: false, reloaded: false }));
    return s;
  };

  const offer = (symbol: string, span: Span) => {
    if (!started || closed) return;
    const s = state(symbol);
    if (span.toSeq <= s.cursor) return;
    const held = s.spans.get(span.fromSeq);
    if (held && (held.orders || !span.orders)) return;
    s.spans.set(span.fromSeq, span);
    pump(symbol, s);
  };

  const pump = (symbol: string, s: SymbolState) => {
    if (s.running || closed) return;
    s.running = run(symbol, s)
      .catch((err: unknown) => {
        logger.error({ component: 'bus', symbol, err }, 'delivering execution reports failed; retrying');
        later(symbol, s, 1000);
      })
      .finally(() => (s.running = undefined));
  };

  const later = (symbol: string, s: SymbolState, ms: number) => {
    if (s.timer || closed) return;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      pump(symbol, s);
    }, Math.max(1, Math.ceil(ms)));
    s.timer.unref();
  };

  async function run(symbol: string, s: SymbolState): Promise<void> {
    for (;;) {
      for (const [from, span] of s.spans) if (span.toSeq <= s.cursor) s.spans.delete(from);
      const span = s.spans.get(s.cursor);
      if (!span) {
        if (s.spans.size > 0) gap(symbol, s);
        return;
      }
      s.gapSince = undefined;
      s.synced = false;
      s.reloaded = false;
      let orders = span.orders;
      if (!orders) {
        const waited = performance.now() - span.offered;
        if (options.connected() && waited < graceMs) return later(symbol, s, graceMs - waited);
        orders = await recordsOf(span);
        // The writer's own may have arrived meanwhile.
        orders = s.spans.get(span.fromSeq)?.orders ?? orders;
        options.onReplayedSpan?.();
      }
      await deliver(symbol, span.events, orders);
      s.cursor = Math.max(s.cursor, span.toSeq);
      s.spans.delete(span.fromSeq);
    }
  }

  /** Later spans wait for the one at the cursor: ask the book to catch up once, then give up after a while. */
  function gap(symbol: string, s: SymbolState): void {
    const now = performance.now();
    s.gapSince ??= now;
    const waited = now - s.gapSince;
    const timeout = s.reloaded ? Math.min(gapTimeoutMs, Math.max(graceMs, 1000)) : gapTimeoutMs;
    if (waited >= timeout) {
      const next = Math.min(...s.spans.keys());
      logger.warn({ component: 'bus', symbol, fromSeq: s.cursor, toSeq: next }, 'execution reports of these seqs cannot be rebuilt here (the book was reloaded past them); skipping');
      options.onGap?.(symbol, s.cursor, next);
      s.cursor = next;
      s.gapSince = undefined;
      s.synced = false;
      s.reloaded = false;
      return later(symbol, s, 0);
    }
    if (!s.synced && (!options.connected() || waited >= graceMs)) {
      s.synced = true;
      options.sync(symbol).catch((err: unknown) => logger.warn({ component: 'bus', symbol, err }, 'catching a book up for its reports failed'));
    }
    later(symbol, s, Math.max(1, Math.min(graceMs, timeout - waited)));
  }

  /** The orders of a replayed span as the writer committed them: their rows with the replay's states. */
  async function recordsOf(span: Span): Promise<Map<number, OrderRecord>> {
    const ids = new Set<number>();
    for (const e of span.events) for (const id of orderIdsOf(e)) ids.add(id);
    const rows = new Map<number, OrderRecord>();
    const list = [...ids];
    for (let i = 0; i < list.length; i += 500) {
      for (const row of await knex('orders').whereIn('id', list.slice(i, i + 500)).select('*')) {
        const o = orderFromRow(row);
        rows.set(o.id, o);
      }
    }
    return foldStates(span, rows);
  }

  async function deliver(symbol: string, events: readonly EngineEvent[], orders: ReadonlyMap<number, OrderRecord>): Promise<void> {
    const tickSize = (await options.tickSize(symbol)) ?? DEFAULT_TICK_SIZE;
    for (const report of executionReports(symbol, events, orders)) pubsub.publish('exec', report.order.accountId, { ...report, tickSize });
    for (const o of orders.values()) if (o.symbol === symbol) pubsub.publish('orders', { order: orderToWire(o), tickSize });
  }

  /** Reports of a commit that moved no book (refusals): no seq to order them by, delivered at once. */
  function unsequenced(symbol: string, events: readonly EngineEvent[], orders: ReadonlyMap<number, OrderRecord>): void {
    if (!started || closed) return;
    deliver(symbol, events, orders).catch((err: unknown) => logger.error({ component: 'bus', symbol, err }, 'delivering execution reports failed'));
  }

  async function tail(): Promise<void> {
    const since = new Date(lastTail - marginMs);
    lastTail = Date.now();
    lastTailPerf = performance.now();
    const rows = (await knex('book_journal').where('created_at', '>=', since).groupBy('symbol').select('symbol').max({ seq: 'to_seq' })) as { symbol: string; seq: number }[];
    for (const r of rows) {
      const symbol = String(r.symbol);
      const s = state(symbol);
      if (Number(r.seq) <= s.cursor) continue;
      // A span already waiting from the cursor: the book's replay is under way.
      if (s.spans.has(s.cursor)) continue;
      await options.sync(symbol);
    }
  }

  const tick = () => {
    if (tailing || closed) return;
    const due = !options.connected() || performance.now() - lastTailPerf >= slowTailMs;
    if (!due) return;
    tailing = tail()
      .catch((err: unknown) => logger.warn({ component: 'bus', err }, 'tailing the book journal failed; retrying'))
      .finally(() => (tailing = undefined));
  };

  const ordersOf = (symbol: string, batch: CommittedBatch): Map<number, OrderRecord> => {
    const out = new Map<number, OrderRecord>();
    for (const o of batch.orders.values()) if (o.symbol === symbol) out.set(o.id, o);
    return out;
  };

  return {
    origin,
    committed(batch) {
      for (const [symbol, events] of batch.events) {
        const entry = batch.journal.find((j) => j.symbol === symbol);
        const orders = ordersOf(symbol, batch);
        if (!entry) unsequenced(symbol, events, orders);
        else offer(symbol, { fromSeq: entry.fromSeq, toSeq: entry.toSeq, events, orders, time: entry.time, offered: performance.now() });
      }
    },
    heard(msg) {
      if (msg.origin === origin) return;
      const orders = new Map(msg.orders.map((o) => [o.id, orderFromWire(o)]));
      if (msg.toSeq === msg.fromSeq) unsequenced(msg.symbol, msg.events, orders);
      else offer(msg.symbol, { fromSeq: msg.fromSeq, toSeq: msg.toSeq, events: msg.events, orders, time: msg.time, offered: performance.now() });
    },
    replayed(entry, events) {
      offer(entry.symbol, { fromSeq: entry.fromSeq, toSeq: entry.toSeq, events, time: entry.time, offered: performance.now() });
    },
    reloaded(symbol) {
      if (!started || closed) return;
      state(symbol).reloaded = true;
    },
    messages(batch) {
      const out: JournalMsg[] = [];
      for (const [symbol, events] of batch.events) {
        const entry = batch.journal.find((j) => j.symbol === symbol);
        const seq = batch.seqs.get(symbol) ?? 0;
        const orders = [...ordersOf(symbol, batch).values()].map(orderToWire);
        out.push({ ...(entry ?? { symbol, fromSeq: seq, toSeq: seq, commands: [], stateHash: null, time: Date.now() }), origin, events, orders });
      }
      return out;
    },
    start(seqs) {
      if (started) return;
      started = true;
      for (const [symbol, seq] of seqs) state(symbol).cursor = seq;
      lastTail = Date.now();
      lastTailPerf = performance.now();
      tailTimer = setInterval(tick, tailMs);
      tailTimer.unref();
    },
    async idle() {
      for (;;) {
        const running = [...states.values()].flatMap((s) => (s.running ? [s.running] : []));
        if (running.length === 0) return;
        await Promise.all(running);
      }
    },
    async close() {
      closed = true;
      if (tailTimer) clearInterval(tailTimer);
      for (const s of states.values()) if (s.timer) clearTimeout(s.timer);
      await tailing;
      await Promise.all([...states.values()].map((s) => s.running));
    },
  };
}

/** The orders an event concerns. */
function orderIdsOf(e: EngineEvent): number[] {
  switch (e.type) {
    case 'trade':
      return [e.maker.orderId, e.taker.orderId];
    case 'rejected':
      return [e.orderId];
    default:
      return [e.order.orderId];
  }
}

/**
 * The order states a span's events leave, as the writer's batch fold records them (batch-fold.ts):
 * each order's row (its fixed fields) with the engine's state, the commit time, the reason of a
 * cancel or expiry and the priority seq of an acceptance or a priority-losing amend. Orders in a
 * book are open, so they carried no reason before the span. An order refused at entry keeps its
 * row as is. `rows` holds the orders' current rows.
 */
export function foldStates(span: Pick<Span, 'events' | 'time'>, rows: ReadonlyMap<number, OrderRecord>): Map<number, OrderRecord> {
  const out = new Map<number, OrderRecord>();
  const at = new Date(span.time);
  const set = (s: OrderState, extra?: Partial<OrderRecord>) => {
    const base = out.get(s.orderId) ?? rows.get(s.orderId);
    if (!base) return;
    out.set(s.orderId, withState(out.has(s.orderId) ? base : { ...base, reason: null }, s, at, extra));
  };
  for (const e of span.events) {
    switch (e.type) {
      case 'accepted':
        set(e.order, { prioritySeq: e.seq });
        break;
      case 'amended':
        set(e.order, e.priorityKept ? {} : { prioritySeq: e.seq });
        break;
      case 'canceled':
        set(e.order, { reason: e.reason });
        break;
      case 'expired':
        set(e.order, { reason: 'DAY_EXPIRED' });
        break;
      case 'trade':
        set(e.maker);
        set(e.taker);
        break;
      case 'rejected': {
        const row = rows.get(e.orderId);
        if (e.command === 'new' && row && !out.has(e.orderId)) out.set(e.orderId, row);
        break;
      }
    }
  }
  return out;
}
