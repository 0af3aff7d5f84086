import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars.js';
import { PageInfo } from '../../graphql/page-info.js';
import { ProductType, TradingStatus } from './product-model.js';
import { fromTicks } from '../../decimal.js';
import { currencyOf } from './currency.js';
import type { ProductRecord } from './product.service.js';
import type { TradingHours } from './trading-schedule.js';
import type { QuoteTicks } from '../market-data/market-data.service.js';

@ObjectType({ description: 'Best prices and the last trade of a product. Prices are decimal strings in the product currency.' })
export class Quote {
  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Last traded price; null before the first trade.' })
  last!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Best bid; null when no one bids.' })
  bid!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Best ask; null when no one offers.' })
  ask!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Reference (previous close) price.' })
  reference!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'last − reference; null without both.' })
  change!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'change / reference in percent, two decimals.' })
  changePercent!: string | null;

  static from(q: QuoteTicks, tickSize: string): Quote {
    const px = (t: number | null) => (t === null ? null : fromTicks(t, tickSize));
    return Object.assign(new Quote(), {
      symbol: q.symbol,
      last: px(q.last),
      bid: px(q.bid),
      ask: px(q.ask),
      reference: px(q.reference),
      change: px(q.change),
      changePercent: q.changeBps === null ? null : fromTicks(q.changeBps, '0.01'),
    });
  }
}

@ObjectType('Product', { description: 'A tradable product from the catalog.' })
export class ProductGql {
  @Field({ description: 'Unique symbol, e.g. 000001.SZ.' })
  symbol!: string;

  @Field({ description: 'Full name.' })
  name!: string;

  @Field(() => ProductType, { description: 'Kind of product.' })
  type!: ProductType;

  @Field(() => DecimalScalar, { description: 'Smallest price increment; order prices must be multiples of it.' })
  tickSize!: string;

  @Field(() => TradingStatus, { description: 'Whether it takes orders now.' })
  status!: TradingStatus;

  @Field({
    description:
      'Currency of its prices, from the listing suffix (docs/API.md, "Currencies"): USD without a suffix; minor units where the exchange quotes in them: GBX (pence) for .L, ZAC (cents) for .JO, ILA (agorot) for .TA; XXX for an unknown suffix.',
  })
  currency!: string;

  @Field(() => Quote, { description: 'Current quote.' })
  quote!: Quote;

  /** For the `session` field (TradingSessionResolver); not fields themselves. */
  hours!: TradingHours;
  customHours!: boolean;

  static from(p: ProductRecord, quote: QuoteTicks): ProductGql {
    return Object.assign(new ProductGql(), {
      hours: p.hours,
      customHours: p.customHours,
      symbol: p.symbol,
      name: p.name,
      type: p.type,
      tickSize: p.tickSize,
      status: p.status,
      currency: currencyOf(p.symbol),
      quote: Quote.from(quote, p.tickSize),
    });
  }
}

@ObjectType({ description: 'A page of products.' })
export class ProductConnection {
  @Field(() => [ProductGql], { description: 'Products on this page, by symbol.' })
  nodes!: ProductGql[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, {
    description: 'How many products match the search and type in all pages.',
    // Priced once with the page (searchComplexity), not once per row.
    complexity: 0,
  })
  totalCount!: number;
}

@InputType({ description: 'A new product.' })
export class CreateProductInput {
  @Field({ description: 'Unique symbol: 1 to 32 letters, digits or . - ^ = _' })
  symbol!: string;

  @Field({ description: 'Full name.' })
  name!: string;

  @Field(() => ProductType, { description: 'Kind of product.' })
  type!: ProductType;

  @Field(() => DecimalScalar, { nullable: true, description: 'Tick size (default 0.01); fixed once created.' })
  tickSize?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Reference price, a multiple of the tick size.' })
  referencePrice?: string | null;
}

@InputType({ description: 'Changes to a product; omitted fields stay as they are.' })
export class UpdateProductInput {
  @Field({ nullable: true, description: 'New name.' })
  name?: string;

  @Field(() => ProductType, { nullable: true, description: 'New kind.' })
  type?: ProductType;

  @Field(() => DecimalScalar, { nullable: true, description: 'New reference price.' })
  referencePrice?: string | null;
}
