import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { OrderBookGql, OrderConnection, OrderGql, PlaceOrderInput, TradeGql } from './order.types.js';
import { OrdStatusEnum, OrderSortEnum } from '../../graphql/enums.js';
import type { OrdStatus } from '../../engine/index.js';
import { DecimalScalar } from '../../graphql/scalars.js';
import { actorOf, requireUser, type GqlContext } from '../../graphql/context.js';
import { checkPageSize, pageComplexity, parseId } from '../../graphql/args.js';
import { badInput } from '../../errors.js';
import type { OrderRecord } from './order-record.js';
import type { OrderFilter } from './order.service.js';
import { tickSizeOf } from '../products/product.service.js';


@Resolver()
export class OrderResolver {
  @Authorized()
  @Mutation(() => OrderGql, { description: 'Sends a new order. Answers once it is committed, with its state after matching.' })
  async placeOrder(@Ctx() ctx: GqlContext, @Arg('input', { description: 'The order.' }) input: PlaceOrderInput): Promise<OrderGql> {
    const outcome = await ctx.services.orders.place(actorOf(ctx), input, 'graphql');
    return this.view(ctx, outcome.order);
  }

  @Authorized()
  @Mutation(() => OrderGql, { description: "Cancels an open order: one's own, or any for an admin." })
  async cancelOrder(@Ctx() ctx: GqlContext, @Arg('id', () => ID, { description: 'OrderID.' }) id: string): Promise<OrderGql> {
    const outcome = await ctx.services.orders.cancel(actorOf(ctx), parseId(id, 'id'), 'graphql');
    return this.view(ctx, outcome.order);
  }

  @Authorized()
  @Mutation(() => OrderGql, {
    description: 'Cancel/replace an open limit order. Lowering the quantity keeps time priority; a new price or a larger quantity loses it.',
  })
  async amendOrder(
    @Ctx() ctx: GqlContext,
    @Arg('id', () => ID, { description: 'OrderID.' }) id: string,
    @Arg('quantity', () => Int, { description: 'New total quantity (above what is already filled).' }) quantity: number,
    @Arg('price', () => DecimalScalar, { nullable: true, description: 'New limit price; omitted keeps the price.' }) price?: string,
  ): Promise<OrderGql> {
    const outcome = await ctx.services.orders.amend(actorOf(ctx), parseId(id, 'id'), quantity, price, 'graphql');
    return this.view(ctx, outcome.order);
  }

  @Authorized()
  @Query(() => OrderConnection, {
    description: "All orders of the exchange (the Orderbook screen), filtered and sorted. Other accounts' orders are anonymous market data (no account, ClOrdID or reason) except to support and admins.",
    complexity: pageComplexity,
  })
  async orders(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', () => String, { nullable: true, description: 'Only this product.' }) symbol?: string,
    @Arg('statuses', () => [OrdStatusEnum], { nullable: true, description: 'Only these statuses.' }) statuses?: OrdStatus[],
    @Arg('sort', () => OrderSortEnum, { nullable: true, description: 'Sort (default newest first).' }) sort?: OrderSortEnum,
    @Arg('first', () => Int, { nullable: true, description: 'Page size (default 50, at most the server limit).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<OrderConnection> {
    return this.list(ctx, { symbol, statuses }, sort, first, after);
  }

  @Authorized()
  @Query(() => OrderConnection, { description: "The caller's orders, filtered and sorted.", complexity: pageComplexity })
  async myOrders(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', () => String, { nullable: true, description: 'Only this product.' }) symbol?: string,
    @Arg('statuses', () => [OrdStatusEnum], { nullable: true, description: 'Only these statuses.' }) statuses?: OrdStatus[],
    @Arg('sort', () => OrderSortEnum, { nullable: true, description: 'Sort (default newest first).' }) sort?: OrderSortEnum,
    @Arg('first', () => Int, { nullable: true, description: 'Page size (default 50, at most the server limit).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<OrderConnection> {
    return this.list(ctx, { symbol, statuses, accountId: requireUser(ctx).id }, sort, first, after);
  }

  @Authorized()
  @Query(() => OrderGql, {
    nullable: true,
    description: "One order, or null when unknown. Another account's order is shown as anonymous market data (no account, ClOrdID or reason) except to support and admins.",
  })
  async order(@Ctx() ctx: GqlContext, @Arg('id', () => ID, { description: 'OrderID.' }) id: string): Promise<OrderGql | null> {
    requireUser(ctx);
    const o = await ctx.services.orders.get(parseId(id, 'id'));
    return o ? this.view(ctx, o) : null;
  }

  @Query(() => [TradeGql], { description: 'The public tape of one product, newest first.', complexity: pageComplexity })
  async trades(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', { description: 'Product symbol.' }) symbol: string,
    @Arg('first', () => Int, { nullable: true, description: 'How many (default 50, at most the server limit).' }) first?: number,
    @Arg('before', () => ID, { nullable: true, description: 'Only trades older than this TradeID.' }) before?: string,
  ): Promise<TradeGql[]> {
    const size = checkPageSize(first, ctx.services.config.MAX_PAGE_SIZE);
    const p = await ctx.services.products.cached(symbol);
    if (!p) throw badInput('UNKNOWN_SYMBOL', `No product ${symbol}.`, 'symbol');
    const list = await ctx.services.orders.trades(symbol, size, before ? parseId(before, 'before') : undefined);
    return list.map((t) => TradeGql.from(t, p.tickSize));
  }

  @Query(() => OrderBookGql, { description: 'Level-2 book of one product.' })
  async orderBook(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', { description: 'Product symbol.' }) symbol: string,
    @Arg('depth', () => Int, { nullable: true, description: 'Levels per side (default 10, at most 100).' }) depth?: number,
  ): Promise<OrderBookGql> {
    const d = depth ?? 10;
    if (d < 1 || d > 100) throw badInput('INVALID_DEPTH', 'depth must be between 1 and 100.', 'depth');
    const p = await ctx.services.products.cached(symbol);
    if (!p) throw badInput('UNKNOWN_SYMBOL', `No product ${symbol}.`, 'symbol');
    return ctx.services.marketData.book(p, d);
  }

  private async list(ctx: GqlContext, filter: OrderFilter, sort: OrderSortEnum | undefined, first: number | undefined, after: string | undefined): Promise<OrderConnection> {
    const size = checkPageSize(first, ctx.services.config.MAX_PAGE_SIZE);
    const page = await ctx.services.orders.list(filter, sort ?? OrderSortEnum.TIME_DESC, size, after);
    const products = await ctx.services.products.many(page.items.map((o) => o.symbol));
    const viewer = ctx.user;
    return {
      nodes: page.items.map((o) => OrderGql.from(o, tickSizeOf(products.get(o.symbol)), viewer)),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  }

  private async view(ctx: GqlContext, o: OrderRecord): Promise<OrderGql> {
    const p = await ctx.services.products.cached(o.symbol);
    return OrderGql.from(o, tickSizeOf(p), ctx.user);
  }
}
