import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { Role } from '../accounts/role.js';
import { actorOf, requireUser, type GqlContext } from '../../graphql/context.js';
import { parseId } from '../../graphql/args.js';
import { badInput } from '../../errors.js';
import { fromTicks, toTicks } from '../../decimal.js';
import { ProductRiskLimitsInput, RiskLimitsGql, ShortSalePolicyEnum } from './risk.types.js';
import { priceBand } from './risk-rules.js';

const percent = (bps: number) => fromTicks(bps, '0.01');

@Resolver()
export class RiskResolver {
  @Query(() => RiskLimitsGql, { nullable: true, description: 'The pre-trade limits of a product now (and the caller\'s position in it), or null when the product is unknown.' })
  async riskLimits(@Ctx() ctx: GqlContext, @Arg('symbol', { description: 'Product symbol.' }) symbol: string): Promise<RiskLimitsGql | null> {
    return this.view(ctx, symbol);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => RiskLimitsGql, { description: 'Sets a product\'s price band, order size and position limits (admin only).' })
  async setProductRiskLimits(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', { description: 'Product symbol.' }) symbol: string,
    @Arg('input', { description: 'The limits.' }) input: ProductRiskLimitsInput,
  ): Promise<RiskLimitsGql> {
    let bandBps: number | null = null;
    if (input.priceBandPercent != null) {
      const t = toTicks(input.priceBandPercent, '0.01');
      if (t === undefined) throw badInput('INVALID_LIMIT', 'The price band is a percent with at most two decimals.', 'priceBandPercent');
      bandBps = t;
    }
    await ctx.services.risk.setProductLimits(symbol, {
      bandBps,
      maxOrderQty: input.maxOrderQuantity ?? null,
      maxOrderNotional: input.maxOrderNotional ?? null,
      maxLong: input.maxLongPosition ?? null,
      maxShort: input.maxShortPosition ?? null,
    });
    return (await this.view(ctx, symbol))!;
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, { description: 'Sets an account\'s position limits on one product, or on every product when symbol is omitted; null returns a limit to the product\'s (admin only).' })
  async setAccountPositionLimits(
    @Ctx() ctx: GqlContext,
    @Arg('userId', () => ID, { description: 'Account id.' }) userId: string,
    @Arg('symbol', () => String, { nullable: true, description: 'Product symbol; omitted = every product.' }) symbol: string | null | undefined,
    @Arg('maxLongPosition', () => GraphQLSafeInt, { nullable: true, description: 'Largest long position, counting open orders.' }) maxLong: number | null | undefined,
    @Arg('maxShortPosition', () => GraphQLSafeInt, { nullable: true, description: 'Largest short position, counting open orders.' }) maxShort: number | null | undefined,
  ): Promise<boolean> {
    requireUser(ctx);
    await ctx.services.risk.setAccountLimits(parseId(userId, 'userId'), symbol ?? '*', maxLong ?? null, maxShort ?? null);
    return true;
  }

  private async view(ctx: GqlContext, symbol: string): Promise<RiskLimitsGql | null> {
    const { risk, products } = ctx.services;
    const product = await products.cached(symbol);
    if (!product) return null;
    const limits = await risk.limits(symbol);
    const reference = risk.reference(product);
    const band = priceBand(reference, limits.bandBps);
    const px = (t: number | null) => (t === null ? null : fromTicks(t, product.tickSize));
    const user = ctx.user ? actorOf(ctx) : undefined;
    const position = user ? await risk.positionLimits(user.id, symbol, limits) : { maxLong: limits.maxLong, maxShort: limits.maxShort };
    const exposure = user ? await risk.exposure(user.id, symbol) : undefined;
    const covered = risk.defaults.shortSale === 'COVERED_ONLY';
    return Object.assign(new RiskLimitsGql(), {
      symbol,
      referencePrice: px(reference),
      priceBandPercent: percent(limits.bandBps),
      bandLow: px(band?.low ?? null),
      bandHigh: px(band?.high ?? null),
      maxOrderQuantity: limits.maxOrderQty,
      maxOrderNotional: limits.maxOrderNotional,
      maxLongPosition: position.maxLong,
      maxShortPosition: covered ? 0 : position.maxShort,
      shortSalePolicy: covered ? ShortSalePolicyEnum.COVERED_ONLY : ShortSalePolicyEnum.ALLOWED,
      position: exposure ? Number(exposure.net) : null,
      openBuyQuantity: exposure ? Number(exposure.openBuy) : null,
      openSellQuantity: exposure ? Number(exposure.openSell) : null,
      confirmPercent: percent(risk.defaults.confirmBps),
      confirmNotional: risk.defaults.confirmNotional,
    });
  }
}


