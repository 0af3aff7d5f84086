import { Arg, Int, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { ExecutionReport, OrderBookUpdate, BookUpdateKind } from './realtime.types.js';
import { OrderGql, TradeGql } from '../orders/order.types.js';
import { Quote } from '../products/product.types.js';
import { OrdStatusEnum } from '../../graphql/enums.js';
import type { OrdStatus } from '../../engine/index.js';
import { requireUser, sessionHolds, type GqlContext } from '../../graphql/context.js';
import { badInput } from '../../errors.js';
import { fromTicks } from '../../decimal.js';
import { coalesce, merge, onEnd, pipe, stream, type Stream } from './streams.js';
import { diffLevels } from './book-delta.js';
import { BOOK_WIRE_DEPTH, orderFromWire, type LevelWire, type QuoteMsg } from './messages.js';
import { sharedValue } from './shared.js';
import { levelsOf, quoteOf } from '../market-data/market-data.service.js';
import type { SUBSCRIPTION_TOPICS } from '../../metrics.js';

type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number];

type Data = SubscribeResolverData<unknown, Record<string, unknown>, GqlContext>;

/** Counts active subscriptions per topic for as long as the stream runs (until it ends or is closed). */
function tracked<T>(ctx: GqlContext, topic: SubscriptionTopic, source: AsyncIterable<T>): Stream<T> {
  const gauge = ctx.services.metrics.wsSubscriptions;
  gauge.inc({ topic });
  return onEnd(source, () => gauge.dec({ topic }));
}

async function productOrFail(ctx: GqlContext, symbol: string) {
  const p = await ctx.services.products.cached(symbol);
  if (!p) throw badInput('UNKNOWN_SYMBOL', `No product ${symbol}.`, 'symbol');
  return p;
}

function quoteFrom(q: QuoteMsg): Quote {
  return Quote.from(quoteOf(q), q.tickSize);
}

function bookStream(ctx: GqlContext, symbol: string, depth: number): Stream<OrderBookUpdate> {
  const { services } = ctx;
  // Subscribe before the snapshot so nothing committed in between is missed.
  const source = coalesce(services.bus.pubsub.subscribe('book', symbol));
  let view: { bids: readonly LevelWire[]; asks: readonly LevelWire[]; seq: number } | undefined;
  return stream<OrderBookUpdate>(
    async () => {
      if (!view) {
        const product = await productOrFail(ctx, symbol);
        const d = await services.marketData.depth(symbol, depth);
        view = { bids: d.bids, asks: d.asks, seq: d.seq };
        return { done: false, value: { symbol, kind: BookUpdateKind.SNAPSHOT, seq: d.seq, prevSeq: d.seq, bids: levelsOf(d.bids, product.tickSize), asks: levelsOf(d.asks, product.tickSize) } };
      }
      for (;;) {
        const r = await source.next();
        if (r.done) return r;
        const msg = r.value;
        if (msg.seq <= view.seq) continue;
        // Messages carry the whole top of the book, so a skipped (coalesced) one loses nothing.
        const nextBids = msg.bids.slice(0, depth);
        const nextAsks = msg.asks.slice(0, depth);
        const from = view;
        // Every subscriber at this depth that saw the same previous seq gets the same delta: built once.
        const update = sharedValue<OrderBookUpdate>(msg, `${depth}:${from.seq}`, () => ({
          symbol,
          kind: BookUpdateKind.DELTA,
          seq: msg.seq,
          prevSeq: from.seq,
          bids: levelsOf(diffLevels(from.bids, nextBids), msg.tickSize),
          asks: levelsOf(diffLevels(from.asks, nextAsks), msg.tickSize),
        }));
        view = { bids: nextBids, asks: nextAsks, seq: msg.seq };
        return { done: false, value: update };
      }
    },
    () => source.return(),
  );
}

@Resolver()
export class RealtimeResolver {
  @Subscription(() => ExecutionReport, {
    description: 'Your own order updates and fills, as FIX execution reports, whatever channel or server caused them.',
    subscribe: ({ context }: Data) => {
      const user = requireUser(context);
      const viewer = user;
      return tracked(
        context,
        'executionReports',
        // Built and executed once per report for all of this user's sockets (the viewer is the same).
        // An event arriving after the socket's session ended (expired, revoked, disabled) is not delivered.
        pipe(context.services.bus.pubsub.subscribe('exec', user.id), (m) =>
          !sessionHolds(context) ? undefined : sharedValue(m, `viewer:${viewer.id}:${viewer.role}`, () => {
            const report: ExecutionReport = {
              execId: m.execId,
              execType: m.execType,
              order: OrderGql.from(orderFromWire(m.order), m.tickSize, viewer),
              lastQty: m.lastQty,
              lastPx: m.lastPxTicks === null ? null : fromTicks(m.lastPxTicks, m.tickSize),
              tradeId: m.tradeId === null ? null : String(m.tradeId),
              reason: m.reason,
              time: new Date(m.time),
            };
            return report;
          }),
        ),
      );
    },
  })
  executionReports(@Root() report: ExecutionReport): ExecutionReport {
    return report;
  }

  @Subscription(() => OrderBookUpdate, {
    description: 'Level-2 book of one product: a snapshot, then deltas (coalesced for slow readers).',
    subscribe: ({ args, context }: Data) => {
      const depth = (args.depth as number | undefined) ?? 10;
      if (depth < 1 || depth > BOOK_WIRE_DEPTH) throw badInput('INVALID_DEPTH', `depth must be between 1 and ${BOOK_WIRE_DEPTH}.`, 'depth');
      return tracked(context, 'orderBook', bookStream(context, args.symbol as string, depth));
    },
  })
  orderBook(
    @Root() update: OrderBookUpdate,
    @Arg('symbol', { description: 'Product symbol.' }) _symbol: string,
    @Arg('depth', () => Int, { nullable: true, description: `Levels per side (default 10, at most ${BOOK_WIRE_DEPTH}).` }) _depth?: number,
  ): OrderBookUpdate {
    return update;
  }

  @Subscription(() => TradeGql, {
    description: 'The public tape of one product.',
    subscribe: async ({ args, context }: Data) => {
      await productOrFail(context, args.symbol as string);
      return tracked(
        context,
        'trades',
        pipe(context.services.bus.pubsub.subscribe('trades', args.symbol as string), (t) =>
          sharedValue(t, '', () =>
            TradeGql.from({ tradeId: t.tradeId, symbol: t.symbol, priceTicks: t.priceTicks, qty: t.qty, aggressorSide: t.aggressorSide, at: new Date(t.time) }, t.tickSize),
          ),
        ),
      );
    },
  })
  trades(@Root() trade: TradeGql, @Arg('symbol', { description: 'Product symbol.' }) _symbol: string): TradeGql {
    return trade;
  }

  @Subscription(() => Quote, {
    description: 'Quotes of some products (last, bid, ask, change), at most 4 updates per second per product.',
    subscribe: async ({ args, context }: Data) => {
      const symbols = [...new Set(args.symbols as string[])];
      if (symbols.length === 0 || symbols.length > 100) throw badInput('INVALID_SYMBOLS', 'Give 1 to 100 symbols.', 'symbols');
      const products = await context.services.products.many(symbols);
      const unknown = symbols.filter((s) => !products.has(s));
      if (unknown.length > 0) throw badInput('UNKNOWN_SYMBOL', `No product ${unknown.join(', ')}.`, 'symbols');
      const { pubsub } = context.services.bus;
      return tracked(
        context,
        'quotes',
        pipe(coalesce(merge(symbols.map((s) => pubsub.subscribe('quotes', s))), { key: (q) => q.symbol, minIntervalMs: 250 }), (q) =>
          sharedValue(q, '', () => quoteFrom(q)),
        ),
      );
    },
  })
  quotes(@Root() quote: Quote, @Arg('symbols', () => [String], { description: 'Product symbols (1 to 100).' }) _symbols: string[]): Quote {
    return quote;
  }

  @Subscription(() => OrderGql, {
    description:
      "Changes to the all-orders list (the Orderbook screen), optionally for one product and some statuses. Other accounts' orders are anonymous market data (no account, ClOrdID or reason) except to support and admins.",
    subscribe: ({ args, context }: Data) => {
      const user = requireUser(context);
      // The viewer as of each event: a demotion takes others' ClOrdIDs away from a running subscription.
      const viewer = () => context.currentUser?.() ?? user;
      const symbol = args.symbol as string | undefined;
      const statuses = args.statuses as OrdStatus[] | undefined;
      return tracked(
        context,
        'orderUpdates',
        pipe(context.services.bus.pubsub.subscribe('orders'), (m) => {
          if (!sessionHolds(context)) return undefined;
          if (symbol && m.order.symbol !== symbol) return undefined;
          if (statuses?.length && !statuses.includes(m.order.status)) return undefined;
          return OrderGql.from(orderFromWire(m.order), m.tickSize, viewer());
        }),
      );
    },
  })
  orderUpdates(
    @Root() order: OrderGql,
    @Arg('symbol', () => String, { nullable: true, description: 'Only this product.' }) _symbol?: string,
    @Arg('statuses', () => [OrdStatusEnum], { nullable: true, description: 'Only orders now in these statuses.' }) _statuses?: OrdStatus[],
  ): OrderGql {
    return order;
  }
}
