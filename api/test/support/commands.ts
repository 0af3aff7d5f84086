/**
 * Random order flow for property and recovery tests: a fast-check arbitrary of commands (new
 * orders of every type and TIF, cancels, amends, from several accounts on several symbols) and a
 * driver that sends them through GraphQL in concurrent batches, so group commit groups them.
 */
import fc from 'fast-check';
import { AMEND, CANCEL, PLACE, gql } from './gql.js';
import type { OrderView, TradingClient } from './trading.js';

export type Command =
  | {
      readonly kind: 'new';
      readonly account: number;
      readonly symbol: number;
      readonly side: 'BUY' | 'SELL';
      readonly type: 'LIMIT' | 'MARKET';
      readonly tif: 'DAY' | 'GTC' | 'IOC' | 'FOK';
      /** Ticks from the symbol's mid price. */
      readonly offset: number;
      readonly qty: number;
      readonly postOnly: boolean;
    }
  | { readonly kind: 'cancel'; readonly account: number; readonly pick: number }
  | { readonly kind: 'amend'; readonly account: number; readonly pick: number; readonly qty: number; readonly offset: number | null };

export interface FlowShape {
  readonly accounts: number;
  readonly symbols: number;
  /** Price spread around the mid, in ticks (default 5): small enough that orders often cross. */
  readonly spread?: number;
}

/** Arbitrary commands: mostly limit orders near the mid, some market orders, cancels and amends. */
export function commandArbitrary({ accounts, symbols, spread = 5 }: FlowShape): fc.Arbitrary<Command> {
  const account = fc.integer({ min: 0, max: accounts - 1 });
  const limit = fc.record({
    kind: fc.constant('new' as const),
    account,
    symbol: fc.integer({ min: 0, max: symbols - 1 }),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constant('LIMIT' as const),
    tif: fc.constantFrom('DAY' as const, 'GTC' as const, 'GTC' as const, 'IOC' as const, 'FOK' as const),
    offset: fc.integer({ min: -spread, max: spread }),
    qty: fc.integer({ min: 1, max: 20 }),
    postOnly: fc.boolean(),
  }).map((c) => ({ ...c, postOnly: c.postOnly && (c.tif === 'DAY' || c.tif === 'GTC') && c.qty % 3 === 0 }));
  const market = fc.record({
    kind: fc.constant('new' as const),
    account,
    symbol: fc.integer({ min: 0, max: symbols - 1 }),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constant('MARKET' as const),
    tif: fc.constantFrom('IOC' as const, 'FOK' as const),
    offset: fc.constant(0),
    qty: fc.integer({ min: 1, max: 30 }),
    postOnly: fc.constant(false),
  });
  const cancel = fc.record({ kind: fc.constant('cancel' as const), account, pick: fc.nat() });
  const amend = fc.record({
    kind: fc.constant('amend' as const),
    account,
    pick: fc.nat(),
    qty: fc.integer({ min: 1, max: 25 }),
    offset: fc.option(fc.integer({ min: -spread, max: spread }), { nil: null }),
  });
  return fc.oneof({ arbitrary: limit, weight: 10 }, { arbitrary: market, weight: 2 }, { arbitrary: cancel, weight: 3 }, { arbitrary: amend, weight: 3 });
}

/** `n` commands from a fixed seed: the same list every run. */
export function seededCommands(seed: number, n: number, shape: FlowShape): Command[] {
  return fc.sample(commandArbitrary(shape), { seed, numRuns: n });
}

/** Error codes a random flow may legitimately get (e.g. amending an order that has just filled). */
export const EXPECTED_CODES = new Set(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND']);

export interface FlowContext {
  readonly url: string;
  readonly clients: readonly TradingClient[];
  readonly symbols: readonly string[];
  /** Mid price of each symbol in ticks of 0.01 (default 10000 = 100.00). */
  readonly midTicks?: number;
  /** Ids of every order acknowledged so far (cancels and amends pick from these). */
  readonly known: string[];
}

export interface FlowResult {
  /** The last state the API answered for each acknowledged order. */
  readonly acks: Map<string, OrderView>;
  /** `code reason` of every refusal. */
  readonly refusals: string[];
}

const price = (ticks: number) => (Math.max(1, ticks) / 100).toFixed(2);

/** Sends `commands` in concurrent batches of `batch` (each batch awaited before the next). */
export async function runFlow(ctx: FlowContext, commands: readonly Command[], batch = 8): Promise<FlowResult> {
  const acks = new Map<string, OrderView>();
  const refusals: string[] = [];
  const mid = ctx.midTicks ?? 10_000;
  for (let i = 0; i < commands.length; i += batch) {
    await Promise.all(
      commands.slice(i, i + batch).map(async (c) => {
        const client = ctx.clients[c.account]!;
        let query: string;
        let variables: Record<string, unknown>;
        let field: string;
        if (c.kind === 'new') {
          query = PLACE;
          field = 'placeOrder';
          variables = {
            i: {
              symbol: ctx.symbols[c.symbol],
              side: c.side,
              type: c.type,
              timeInForce: c.tif,
              quantity: c.qty,
              postOnly: c.postOnly,
              price: c.type === 'LIMIT' ? price(mid + c.offset) : null,
            },
          };
        } else {
          if (ctx.known.length === 0) return;
          const id = ctx.known[c.pick % ctx.known.length]!;
          if (c.kind === 'cancel') {
            query = CANCEL;
            field = 'cancelOrder';
            variables = { id };
          } else {
            query = AMEND;
            field = 'amendOrder';
            variables = { id, q: c.qty, p: c.offset === null ? null : price(mid + c.offset) };
          }
        }
        const r = await gql(ctx.url, query, variables, client.token);
        const e = r.errors?.[0];
        if (e) {
          refusals.push(`${e.extensions?.code} ${e.extensions?.reason}`);
          return;
        }
        const order = (r.data as Record<string, OrderView>)[field]!;
        acks.set(order.id, order);
        if (c.kind === 'new' && !ctx.known.includes(order.id)) ctx.known.push(order.id);
      }),
    );
  }
  return { acks, refusals };
}
