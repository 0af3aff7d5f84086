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

/**
 * The refusals each command may legitimately get (`code reason`), from what the flow knows when
 * it sends it: a new order is valid by construction, so only a post-only one may be refused (it
 * would have traded); a cancel or amend of another account's order is NOT_FOUND (it does not
 * exist for the caller); of one's own, the order may have been filled or canceled meanwhile,
 * a market order cannot be amended, and an amend may ask for less than is already filled.
 * Anything else is a valid command refused by mistake.
 */
export function allowedRefusals(command: Command, targetOwner: number | undefined): ReadonlySet<string> {
  if (command.kind === 'new') return new Set(command.postOnly ? ['CONFLICT POST_ONLY_WOULD_TAKE'] : []);
  if (targetOwner !== command.account) return new Set(['NOT_FOUND ORDER_NOT_FOUND']);
  const closed = ['CONFLICT ORDER_NOT_OPEN', 'CONFLICT UNKNOWN_ORDER'];
  if (command.kind === 'cancel') return new Set(closed);
  return new Set([...closed, 'BAD_USER_INPUT AMEND_BELOW_FILLED', 'CONFLICT POST_ONLY_WOULD_TAKE']);
}

/** What happened to one command of a flow. */
export interface CommandResult {
  readonly command: Command;
  /** The order a cancel or amend named, and its owner (an account index). */
  readonly target?: string;
  readonly targetOwner?: number;
  /** `code reason` when refused. */
  readonly refusal?: string;
  /** The order as answered when accepted. */
  readonly order?: OrderView;
}

/**
 * Every way a flow's answers contradict the model: a refusal the command could not get, or an
 * accepted command whose answer does not match it. Empty when the flow is right.
 */
export function flowViolations(flow: FlowResult): string[] {
  const out: string[] = [];
  for (const r of flow.results) {
    const what = `${JSON.stringify(r.command)}${r.target ? ` on order ${r.target} of account ${r.targetOwner}` : ''}`;
    if (r.refusal !== undefined) {
      if (!allowedRefusals(r.command, r.targetOwner).has(r.refusal)) out.push(`${what}: refused ${r.refusal}`);
      continue;
    }
    if (!r.order) continue; // nothing was sent (no known order to name yet)
    const o = r.order;
    if (r.command.kind === 'new') {
      if (o.quantity !== r.command.qty || o.side !== r.command.side) out.push(`${what}: answered ${JSON.stringify(o)}`);
    } else if (r.command.kind === 'cancel') {
      if (o.id !== r.target || o.status !== 'CANCELED') out.push(`${what}: cancel answered ${o.status} for ${o.id}`);
    } else if (o.id !== r.target || o.quantity !== r.command.qty) {
      out.push(`${what}: amend answered ${JSON.stringify(o)}`);
    }
    if (!['CANCELED', 'EXPIRED', 'REJECTED'].includes(o.status) && o.cumQty + o.leavesQty !== o.quantity) out.push(`${what}: cumQty + leavesQty ≠ quantity in ${JSON.stringify(o)}`);
  }
  return out;
}

/**
 * Refusals that claim an order was no longer open (or filled beyond an amend) must agree with
 * the database afterwards: orders never reopen and fills never shrink, so a refusal of an order
 * that is still open at the end, or an AMEND_BELOW_FILLED under the final cumQty, was wrong.
 */
export function refusalsContradictedBy(flow: FlowResult, finalState: ReadonlyMap<string, { status: string; cumQty: number }>): string[] {
  const out: string[] = [];
  for (const r of flow.results) {
    if (!r.refusal || !r.target) continue;
    const now = finalState.get(r.target);
    if (!now) continue;
    const open = now.status === 'NEW' || now.status === 'PARTIALLY_FILLED';
    if ((r.refusal === 'CONFLICT ORDER_NOT_OPEN' || r.refusal === 'CONFLICT UNKNOWN_ORDER') && open && r.command.kind === 'cancel') {
      out.push(`${JSON.stringify(r.command)} on ${r.target}: refused ${r.refusal}, yet the order is still ${now.status}`);
    }
    if (r.refusal === 'BAD_USER_INPUT AMEND_BELOW_FILLED' && r.command.kind === 'amend' && now.cumQty < r.command.qty) {
      out.push(`${JSON.stringify(r.command)} on ${r.target}: refused AMEND_BELOW_FILLED, yet only ${now.cumQty} is filled`);
    }
  }
  return out;
}

export interface FlowContext {
  readonly url: string;
  readonly clients: readonly TradingClient[];
  readonly symbols: readonly string[];
  /** Mid price of each symbol in ticks of 0.01 (default 10000 = 100.00). */
  readonly midTicks?: number;
  /** Ids of every order acknowledged so far (cancels and amends pick from these). */
  readonly known: string[];
  /** The account index that placed each known order (filled in by runFlow). */
  readonly owners?: Map<string, number>;
}

export interface FlowResult {
  /** The last state the API answered for each acknowledged order. */
  readonly acks: Map<string, OrderView>;
  /** `code reason` of every refusal. */
  readonly refusals: string[];
  /** Each command with what it named and how it was answered, in command order. */
  readonly results: CommandResult[];
}

const price = (ticks: number) => (Math.max(1, ticks) / 100).toFixed(2);

/** Sends `commands` in concurrent batches of `batch` (each batch awaited before the next). */
export async function runFlow(ctx: FlowContext, commands: readonly Command[], batch = 8): Promise<FlowResult> {
  const acks = new Map<string, OrderView>();
  const refusals: string[] = [];
  const results: CommandResult[] = [];
  const owners = ctx.owners ?? ownersOf(ctx);
  const mid = ctx.midTicks ?? 10_000;
  for (let i = 0; i < commands.length; i += batch) {
    const answered = await Promise.all(
      commands.slice(i, i + batch).map(async (c): Promise<CommandResult> => {
        const client = ctx.clients[c.account]!;
        let target: string | undefined;
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
          if (ctx.known.length === 0) return { command: c };
          target = ctx.known[c.pick % ctx.known.length]!;
          const id = target;
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
        const targetOwner = target === undefined ? undefined : owners.get(target);
        const r = await gql(ctx.url, query, variables, client.token);
        const e = r.errors?.[0];
        if (e) {
          const refusal = `${e.extensions?.code} ${e.extensions?.reason}`;
          refusals.push(refusal);
          return { command: c, target, targetOwner, refusal };
        }
        const order = (r.data as Record<string, OrderView>)[field]!;
        acks.set(order.id, order);
        if (c.kind === 'new' && !ctx.known.includes(order.id)) {
          ctx.known.push(order.id);
          owners.set(order.id, c.account);
        }
        return { command: c, target, targetOwner, order };
      }),
    );
    results.push(...answered);
  }
  return { acks, refusals, results };
}

/** One owners map per flow context (a context outlives its flows: runs share known orders). */
const contextOwners = new WeakMap<readonly string[], Map<string, number>>();
function ownersOf(ctx: FlowContext): Map<string, number> {
  let m = contextOwners.get(ctx.known);
  if (!m) contextOwners.set(ctx.known, (m = new Map()));
  return m;
}
