import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MatchingEngine, type EngineEvent } from '../../engine/index.js';
import { createLogger } from '../../logger.js';
import type { Knex } from '../../db/knex.js';
import { foldBatch } from '../orders/batch-fold.js';
import type { OrderRecord } from '../orders/order-record.js';
import type { OrderRequest } from '../orders/order-request.js';
import { applyEntry } from '../orders/journal.js';
import { createHub } from './hub.js';
import { orderToWire, type ExecReportMsg, type JournalMsg, type Topics } from './messages.js';
import { createReportFeed, foldStates } from './report-feed.js';

const logger = createLogger('silent');

/** A chain of commits on one symbol as another replica would publish them: each one's events and order states. */
function chain(sizes: readonly number[]): JournalMsg[] {
  const out: JournalMsg[] = [];
  let seq = 0;
  let id = 1;
  for (const n of sizes) {
    const events: EngineEvent[] = [];
    const orders: OrderRecord[] = [];
    const fromSeq = seq;
    for (let k = 0; k < n; k++) {
      const orderId = id++;
      const state = { orderId, account: 1, side: 'BUY' as const, ordType: 'LIMIT' as const, tif: 'GTC' as const, price: 100, qty: 1, cumQty: 0, leavesQty: 1, cumNotional: 0, status: 'NEW' as const };
      events.push({ type: 'accepted', seq: ++seq, timestamp: 0, order: state });
      orders.push({ id: orderId, clOrdId: `c${orderId}`, accountId: 1, symbol: 'S', side: 'BUY', ordType: 'LIMIT', tif: 'GTC', postOnly: false, priceTicks: 100, qty: 1, cumQty: 0, leavesQty: 1, cumNotional: 0, status: 'NEW', reason: null, prioritySeq: seq, createdAt: new Date(0), updatedAt: new Date(0) });
    }
    out.push({ symbol: 'S', fromSeq, toSeq: seq, commands: [], stateHash: null, time: 0, origin: 'other', events, orders: orders.map(orderToWire) });
  }
  return out;
}

describe('report feed', () => {
  it('delivers every commit of a symbol once and in seq order, whatever order, duplicates and losses the bus brings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 25 }).chain((sizes) =>
          fc.record({
            sizes: fc.constant(sizes),
            order: fc.shuffledSubarray([...sizes.keys()], { minLength: sizes.length, maxLength: sizes.length }),
            twice: fc.subarray([...sizes.keys()]),
            // The last commit always arrives (nothing follows it to reveal its loss: the journal tail's job).
            lost: fc.subarray([...sizes.keys()].slice(0, -1)),
          }),
        ),
        async ({ sizes, order, twice, lost }) => {
          const messages = chain(sizes);
          const pubsub = createHub<Topics>(new EventTarget(), { maxPending: 10_000 });
          const lostSet = new Set(lost);
          const feed = createReportFeed({
            pubsub,
            knex: undefined as unknown as Knex,
            tickSize: async () => '0.01',
            connected: () => true,
            // The book's catch-up brings what the bus lost (here: the writer's messages themselves).
            sync: async () => {
              for (const i of lostSet) feed.heard(messages[i]!);
            },
            logger,
            graceMs: 0,
          });
          feed.start(new Map([['S', 0]]));
          const sub = pubsub.subscribe('exec', 1);
          const total = sizes.reduce((a, b) => a + b, 0);
          for (const i of order) {
            if (!lostSet.has(i)) feed.heard(messages[i]!);
            if (twice.includes(i)) feed.heard(messages[i]!);
          }
          const got: ExecReportMsg[] = [];
          for await (const r of sub) {
            got.push(r);
            if (got.length === total) break;
          }
          // Nothing more comes after the last one.
          await new Promise((r) => setTimeout(r, 5));
          expect(pubsub.pending()).toBe(0);
          await feed.close();
          expect(got.map((r) => r.order.id)).toEqual(Array.from({ length: total }, (_, k) => k + 1));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rebuilds a replayed commit's order states as the writer's batch recorded them", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.oneof(
              fc.record({ kind: fc.constant('new' as const), side: fc.constantFrom('BUY' as const, 'SELL' as const), price: fc.integer({ min: 98, max: 102 }), qty: fc.integer({ min: 1, max: 5 }), tif: fc.constantFrom('GTC' as const, 'IOC' as const) }),
              fc.record({ kind: fc.constantFrom('cancel' as const, 'amend' as const), pick: fc.nat(), qty: fc.integer({ min: 1, max: 6 }), price: fc.integer({ min: 98, max: 102 }) }),
            ),
            { minLength: 1, maxLength: 6 },
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (batches) => {
          const writer = new MatchingEngine({});
          const replica = new MatchingEngine({});
          /** The order rows as the database has them after every batch. */
          const rows = new Map<number, OrderRecord>();
          let nextId = 1;
          batches.forEach((requests, b) => {
            const reqs: OrderRequest[] = requests.map((r, k) => {
              const open = [...rows.values()].filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
              const target = open[r.kind === 'new' ? 0 : r.pick % Math.max(1, open.length)];
              if (r.kind === 'new' || !target) {
                const n = r.kind === 'new' ? r : { side: 'BUY' as const, price: 100, qty: 1, tif: 'GTC' as const };
                return { kind: 'new', accountId: 1 + (k % 2), clOrdId: `b${b}-${k}`, symbol: 'S', side: n.side, ordType: 'LIMIT', tif: n.tif, priceTicks: n.price, qty: n.qty, postOnly: false, clOrdIdGenerated: false } as OrderRequest;
              }
              return r.kind === 'cancel'
                ? ({ kind: 'cancel', accountId: target.accountId, orderId: target.id, symbol: 'S' } as OrderRequest)
                : ({ kind: 'amend', accountId: target.accountId, orderId: target.id, symbol: 'S', qty: r.qty, priceTicks: r.price } as OrderRequest);
            });
            const ids = reqs.map(() => nextId++);
            const w = foldBatch(writer, reqs, { ids, products: new Map([['S', { seq: writer.has('S') ? writer.book('S').seq : 0, halted: false, lastPrice: null }]]), existing: new Map(), nowMs: 1000 * (b + 1), touched: new Set() });
            // Hydrate as the SQL side does: rows of earlier batches with the batch's states.
            for (const id of w.prior) {
              const full = rows.get(id)!;
              const stub = w.orders.get(id)!;
              w.orders.set(id, { ...full, priceTicks: stub.priceTicks, qty: stub.qty, cumQty: stub.cumQty, leavesQty: stub.leavesQty, cumNotional: stub.cumNotional, status: stub.status, updatedAt: stub.updatedAt, reason: stub.reason ?? full.reason, prioritySeq: stub.prioritySeq >= 0 ? stub.prioritySeq : full.prioritySeq });
            }
            for (const [id, o] of w.orders) rows.set(id, o);
            for (const entry of w.journal) {
              const events: EngineEvent[] = [];
              expect(applyEntry(replica, entry, events)).toBe('applied');
              // The same events, besides refused cancels and amends (answered to their caller, never reported).
              expect(events.filter((e) => e.type !== 'rejected' || e.command === 'new')).toEqual(w.events.get('S'));
              // The replica reads the rows after this commit: they are what the writer committed.
              const rebuilt = foldStates({ events, time: entry.time }, rows);
              const touched = new Map([...w.orders].filter(([id]) => rebuilt.has(id)));
              expect(rebuilt).toEqual(touched);
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
