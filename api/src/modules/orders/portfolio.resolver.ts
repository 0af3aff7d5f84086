import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { requireUser, type GqlContext } from '../../graphql/context.js';
import { checkPageSize, pageComplexity } from '../../graphql/args.js';
import { tickSizeOf } from '../products/product.service.js';
import { currencyOf } from '../products/currency.js';
import { PortfolioReads } from './portfolio.js';
import { CurrencyTotalGql, FillConnection, FillGql, HoldingGql } from './portfolio.types.js';
import type { LedgerPosition } from './position-ledger.js';

type PositionRow = { symbol: string; p: LedgerPosition; tickSize: string; lastTicks: number | null };

/**
 * One fold of the account's fills per request: `holdings` and `portfolioTotals` asked together
 * (as the Portfolio screen does) read them once.
 */
const perRequest = new WeakMap<GqlContext, Promise<PositionRow[]>>();

/** The caller's portfolio: positions by the average-cost method, totals per currency, the fills blotter. */
@Resolver()
export class PortfolioResolver {
  @Authorized()
  @Query(() => [HoldingGql], { description: "The caller's open positions (net filled, non-zero), one per product, by symbol." })
  async holdings(@Ctx() ctx: GqlContext): Promise<HoldingGql[]> {
    const rows = await this.positions(ctx);
    return rows.filter((r) => r.p.qty !== 0n).map((r) => HoldingGql.from(r.symbol, currencyOf(r.symbol), r.p, r.tickSize, r.lastTicks));
  }

  @Authorized()
  @Query(() => [CurrencyTotalGql], {
    description: "The caller's market value and P&L summed per currency (never across currencies), by currency code; realised P&L of closed positions included.",
  })
  async portfolioTotals(@Ctx() ctx: GqlContext): Promise<CurrencyTotalGql[]> {
    const byCurrency = new Map<string, PositionRow[]>();
    for (const r of await this.positions(ctx)) {
      const c = currencyOf(r.symbol);
      byCurrency.set(c, [...(byCurrency.get(c) ?? []), r]);
    }
    return [...byCurrency.keys()].sort().map((c) => CurrencyTotalGql.sum(c, byCurrency.get(c)!));
  }

  @Authorized()
  @Query(() => FillConnection, { description: "The caller's fills (executions of their orders), newest first: the blotter.", complexity: pageComplexity })
  async myFills(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', () => String, { nullable: true, description: 'Only this product.' }) symbol?: string,
    @Arg('first', () => Int, { nullable: true, description: 'Page size (default 50, at most the server limit).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<FillConnection> {
    const size = checkPageSize(first, ctx.services.config.MAX_PAGE_SIZE);
    const page = await new PortfolioReads(ctx.services.knex).fills(requireUser(ctx).id, symbol, size, after);
    const products = await ctx.services.products.many(page.items.map((f) => f.symbol));
    return {
      nodes: page.items.map((f) => FillGql.from(f, currencyOf(f.symbol), tickSizeOf(products.get(f.symbol)))),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  }

  private positions(ctx: GqlContext): Promise<PositionRow[]> {
    let rows = perRequest.get(ctx);
    if (!rows) perRequest.set(ctx, (rows = this.read(ctx)));
    return rows;
  }

  private async read(ctx: GqlContext): Promise<PositionRow[]> {
    const positions = await new PortfolioReads(ctx.services.knex).positions(requireUser(ctx).id);
    const products = await ctx.services.products.many([...positions.keys()]);
    return [...positions].map(([symbol, p]) => {
      const product = products.get(symbol);
      return { symbol, p, tickSize: tickSizeOf(product), lastTicks: product?.lastPriceTicks ?? null };
    });
  }
}
