import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { GqlContext } from '../../graphql/context.js';
import { ROW_COST } from '../../graphql/args.js';
import { badInput } from '../../errors.js';
import { CandleReads, MAX_CANDLES } from './candles.js';
import { CandleFrameEnum, CandleGql } from './candle.types.js';

/**
 * What the database's aggregation costs beyond the rows it returns (a range scan of the symbol's
 * trades in the window on an index), in complexity units: about a tenth of the default budget.
 */
export const CANDLE_SCAN_COST = 1000;

/** The price of a candles field: the scan plus its rows (a `first` out of range is priced as one row: the resolver refuses it). */
export function candleComplexity({ args, childComplexity }: { args: { first?: number | null }; childComplexity: number }): number {
  const first = args.first ?? 200;
  return CANDLE_SCAN_COST + (first < 1 || first > MAX_CANDLES ? 1 : first) * (ROW_COST + childComplexity);
}

@Resolver()
export class CandleResolver {
  @Query(() => [CandleGql], {
    description: `Trades of one product aggregated into candles by the server, oldest first: the last \`first\` buckets up to the one holding the latest trade (before \`before\`, if given). Buckets without trades are left out.`,
    complexity: candleComplexity,
  })
  async candles(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', { description: 'Product symbol.' }) symbol: string,
    @Arg('frame', () => CandleFrameEnum, { description: 'Length of a candle.' }) frame: CandleFrameEnum,
    @Arg('first', () => Int, { nullable: true, description: `How many buckets back (default 200, at most ${MAX_CANDLES}).` }) first?: number,
    @Arg('before', () => Date, { nullable: true, description: 'Only trades before this time (to page back).' }) before?: Date,
  ): Promise<CandleGql[]> {
    const n = first ?? 200;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CANDLES) throw badInput('INVALID_PAGE_SIZE', `first must be between 1 and ${MAX_CANDLES}.`, 'first');
    const p = await ctx.services.products.cached(symbol);
    if (!p) throw badInput('UNKNOWN_SYMBOL', `No product ${symbol}.`, 'symbol');
    const list = await new CandleReads(ctx.services.knex, ctx.services.dialect).candles(symbol, frame, n, before);
    return list.map((c) => CandleGql.from(c, p.tickSize));
  }
}
