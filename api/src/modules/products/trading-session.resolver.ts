import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GqlContext } from '../../graphql/context.js';
import { badInput } from '../../errors.js';
import { Role } from '../accounts/role.js';
import { ProductGql } from './product.types.js';
import { parseTime, type TradingHours } from './trading-schedule.js';
import { TradingHoursInput, TradingSessionGql } from './trading-session.types.js';

@Resolver(() => ProductGql)
export class TradingSessionResolver {
  @FieldResolver(() => TradingSessionGql, { description: 'Trading hours and the session state now (open or closed, next open and close).' })
  session(@Ctx() ctx: GqlContext, @Root() product: ProductGql): TradingSessionGql {
    return TradingSessionGql.from(product.hours, product.customHours, ctx.services.sessions.state(product.hours));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ProductGql, {
    description:
      "Sets a product's trading hours, or with hours null returns it to its listing suffix's default (admin only). New orders follow them at once; resting DAY orders expire at their next close.",
  })
  async setTradingHours(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', { description: 'Product symbol.' }) symbol: string,
    @Arg('hours', () => TradingHoursInput, { nullable: true, description: 'The hours; null for the default.' }) hours: TradingHoursInput | null,
  ): Promise<ProductGql> {
    const p = await ctx.services.products.setHours(symbol, hours ? toHours(hours) : null);
    return ProductGql.from(p, ctx.services.marketData.quote(p));
  }
}

function toHours(input: TradingHoursInput): TradingHours {
  const open = parseTime(input.opens);
  const close = parseTime(input.closes);
  if (open === undefined || close === undefined) throw badInput('INVALID_TRADING_HOURS', 'Opening and closing times: HH:MM, 00:00 to 23:59.', 'hours');
  return { timeZone: input.timeZone, open, close, days: input.days ?? [1, 2, 3, 4, 5] };
}
