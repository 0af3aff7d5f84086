import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DecimalScalar } from '../../graphql/scalars.js';

export enum ShortSalePolicyEnum {
  ALLOWED = 'ALLOWED',
  COVERED_ONLY = 'COVERED_ONLY',
}

registerEnumType(ShortSalePolicyEnum, {
  name: 'ShortSalePolicy',
  description: 'How far an account may sell what it does not hold.',
  valuesConfig: {
    ALLOWED: { description: 'Short selling up to the short position limit (the default).' },
    COVERED_ONLY: { description: 'Sells only against the filled position not already offered.' },
  },
});

@ObjectType('RiskLimits', { description: 'The pre-trade limits an order on this product meets now (docs/API.md, "Pre-trade checks"). Position fields are the caller\'s.' })
export class RiskLimitsGql {
  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'The price the band is around: the last trade, else the catalog reference; null when there is neither (first-trade rule).' })
  referencePrice!: string | null;

  @Field(() => DecimalScalar, { description: 'Half-width of the price band, in percent of the reference.' })
  priceBandPercent!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Lowest limit price accepted now (null: no band yet).' })
  bandLow!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Highest limit price accepted now (null: no band yet).' })
  bandHigh!: string | null;

  @Field(() => Int, { description: 'Largest quantity of one order.' })
  maxOrderQuantity!: number;

  @Field(() => DecimalScalar, { description: 'Largest notional (price × quantity) of one order; a market order counts at its band price.' })
  maxOrderNotional!: string;

  @Field(() => GraphQLSafeInt, { description: 'Largest long position, counting open buy orders (the caller\'s limit when logged in).' })
  maxLongPosition!: number;

  @Field(() => GraphQLSafeInt, { description: 'Largest short position, counting open sell orders (0 under COVERED_ONLY).' })
  maxShortPosition!: number;

  @Field(() => ShortSalePolicyEnum, { description: 'The short-sale policy.' })
  shortSalePolicy!: ShortSalePolicyEnum;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'The caller\'s filled net position (null when anonymous).' })
  position!: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Leaves of the caller\'s open buy orders (null when anonymous).' })
  openBuyQuantity!: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Leaves of the caller\'s open sell orders (null when anonymous).' })
  openSellQuantity!: number | null;

  @Field(() => DecimalScalar, { description: 'Clients ask for confirmation of a limit price at least this many percent from the last price.' })
  confirmPercent!: string;

  @Field(() => DecimalScalar, { description: 'Clients ask for confirmation of an order of at least this notional.' })
  confirmNotional!: string;
}

@InputType({ description: 'A product\'s limits; each omitted or null field returns to the configured default.' })
export class ProductRiskLimitsInput {
  @Field(() => DecimalScalar, { nullable: true, description: 'Price band half-width in percent, 0.01 to 10000 (the low end never goes below one tick), two decimals at most.' })
  priceBandPercent?: string | null;

  @Field(() => Int, { nullable: true, description: 'Largest quantity of one order (at most MAX_ORDER_QTY, which always applies).' })
  maxOrderQuantity?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Largest notional of one order, in the product currency.' })
  maxOrderNotional?: string | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Largest long position of any account, counting open orders.' })
  maxLongPosition?: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Largest short position of any account, counting open orders.' })
  maxShortPosition?: number | null;
}
