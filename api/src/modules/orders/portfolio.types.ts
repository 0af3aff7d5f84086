import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DecimalScalar } from '../../graphql/scalars.js';
import { PageInfo } from '../../graphql/page-info.js';
import { SideEnum } from '../../graphql/enums.js';
import type { Side } from '../../engine/index.js';
import { averagePrice, fromTicks } from '../../decimal.js';
import { COST_SCALE, type LedgerPosition } from './position-ledger.js';
import { addMoney, formatMoney, moneyOf, tickScale, type FillRecord, type Money } from './portfolio.js';

const CURRENCY = 'The currency of its prices (see Product.currency): GBX (pence) for .L listings.';

/** The figures of one position, as exact decimal amounts of its currency. */
interface Valued {
  readonly marketValue: Money | null;
  readonly unrealized: Money | null;
  readonly realized: Money;
}

/** Market value, unrealised and realised P&L of a position at a last price (ticks; null when none). */
export function valuePosition(p: LedgerPosition, tickSize: string, lastTicks: number | null): Valued {
  const realized = moneyOf(p.realized, tickSize);
  if (lastTicks === null || p.qty === 0n) return { marketValue: p.qty === 0n ? moneyOf(0n, tickSize) : null, unrealized: p.qty === 0n ? moneyOf(0n, tickSize) : null, realized };
  const last = BigInt(lastTicks);
  const size = p.qty < 0n ? -p.qty : p.qty;
  const gain = last * size * COST_SCALE - p.basis;
  return { marketValue: moneyOf(last * p.qty * COST_SCALE, tickSize), unrealized: moneyOf(p.qty < 0n ? -gain : gain, tickSize), realized };
}

@ObjectType('Holding', { description: 'Net filled position in one product, by the average-cost method, valued at the last price. Amounts are in the product currency.' })
export class HoldingGql {
  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field({ description: CURRENCY })
  currency!: string;

  @Field(() => GraphQLSafeInt, { description: "Net filled shares: bought − sold (negative when short). A sum over the account's fills: a SafeInt, not an Int." })
  quantity!: number;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Average cost of the open position (average-cost method: adding re-weights it, reducing keeps it, a flip through zero starts at the fill price); 4 more decimals than the tick.',
  })
  avgPrice!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Last traded price of the product.' })
  lastPrice!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'quantity × lastPrice.' })
  marketValue!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: '(lastPrice − avgPrice) × quantity, exact, rounded to 2 more decimals than the tick.' })
  unrealizedPnl!: string | null;

  @Field(() => DecimalScalar, { description: 'P&L realised by the reducing fills so far, (fill price − average cost) × quantity closed (sign reversed for shorts); 2 more decimals than the tick.' })
  realizedPnl!: string;

  static from(symbol: string, currency: string, p: LedgerPosition, tickSize: string, lastTicks: number | null): HoldingGql {
    const size = p.qty < 0n ? -p.qty : p.qty;
    const v = valuePosition(p, tickSize, lastTicks);
    const scale = tickScale(tickSize);
    return Object.assign(new HoldingGql(), {
      symbol,
      currency,
      quantity: Number(p.qty),
      avgPrice: averagePrice(p.basis, size * COST_SCALE, tickSize, 4),
      lastPrice: lastTicks === null ? null : fromTicks(lastTicks, tickSize),
      marketValue: v.marketValue && formatMoney(v.marketValue, scale),
      unrealizedPnl: v.unrealized && formatMoney(v.unrealized, scale + 2),
      realizedPnl: formatMoney(v.realized, scale + 2),
    });
  }
}

@ObjectType('CurrencyTotal', { description: "The account's positions in one currency, summed: amounts of different currencies are never added together." })
export class CurrencyTotalGql {
  @Field({ description: 'Currency code (see Product.currency).' })
  currency!: string;

  @Field(() => Int, { description: 'Open positions in this currency.' })
  positions!: number;

  @Field(() => Int, { description: 'Open positions without a last price: not in marketValue or unrealizedPnl.' })
  unpriced!: number;

  @Field(() => DecimalScalar, { description: 'Σ market value of the priced open positions.' })
  marketValue!: string;

  @Field(() => DecimalScalar, { description: 'Σ unrealised P&L of the priced open positions.' })
  unrealizedPnl!: string;

  @Field(() => DecimalScalar, { description: 'Σ realised P&L, closed positions included.' })
  realizedPnl!: string;

  /** Sums exactly, then rounds: market value to the finest tick, P&L to 2 more decimals. */
  static sum(currency: string, rows: readonly { p: LedgerPosition; tickSize: string; lastTicks: number | null }[]): CurrencyTotalGql {
    let mv: Money = { units: 0n, scale: 0 };
    let un: Money = { units: 0n, scale: 0 };
    let re: Money = { units: 0n, scale: 0 };
    let scale = 0;
    let positions = 0;
    let unpriced = 0;
    for (const r of rows) {
      const v = valuePosition(r.p, r.tickSize, r.lastTicks);
      scale = Math.max(scale, tickScale(r.tickSize));
      re = addMoney(re, v.realized);
      if (r.p.qty === 0n) continue;
      positions++;
      if (!v.marketValue || !v.unrealized) {
        unpriced++;
        continue;
      }
      mv = addMoney(mv, v.marketValue);
      un = addMoney(un, v.unrealized);
    }
    return Object.assign(new CurrencyTotalGql(), {
      currency,
      positions,
      unpriced,
      marketValue: formatMoney(mv, scale),
      unrealizedPnl: formatMoney(un, scale + 2),
      realizedPnl: formatMoney(re, scale + 2),
    });
  }
}

@ObjectType('Fill', { description: 'One execution of one of your orders (a fill): the blotter row.' })
export class FillGql {
  @Field(() => ID, { description: 'ExecID (17).' })
  execId!: string;

  @Field(() => ID, { description: 'TradeID: the public trade this fill is one side of.' })
  tradeId!: string;

  @Field(() => ID, { description: 'OrderID (37) of the order filled.' })
  orderId!: string;

  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field({ description: CURRENCY })
  currency!: string;

  @Field(() => SideEnum, { description: 'Side (54) of your order.' })
  side!: Side;

  @Field(() => Int, { description: 'LastQty (32).' })
  quantity!: number;

  @Field(() => DecimalScalar, { description: 'LastPx (31).' })
  price!: string;

  @Field({ description: 'Whether your order was resting (maker) rather than incoming (taker).' })
  maker!: boolean;

  @Field({ description: 'When it traded.' })
  time!: Date;

  static from(f: FillRecord, currency: string, tickSize: string): FillGql {
    return Object.assign(new FillGql(), {
      execId: f.execId,
      tradeId: String(f.tradeId),
      orderId: String(f.orderId),
      symbol: f.symbol,
      currency,
      side: f.side,
      quantity: f.qty,
      price: fromTicks(f.priceTicks, tickSize),
      maker: f.maker,
      time: f.at,
    });
  }
}

@ObjectType({ description: 'A page of fills, newest first.' })
export class FillConnection {
  @Field(() => [FillGql], { description: 'Fills on this page.' })
  nodes!: FillGql[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;
}
