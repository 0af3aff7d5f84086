import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DecimalScalar } from '../../graphql/scalars.js';
import { fromTicks } from '../../decimal.js';
import type { CandleFrame, CandleRecord } from './candles.js';

/** Candle lengths (GraphQL enum values are the keys of FRAME_SECONDS). */
export enum CandleFrameEnum {
  M1 = 'M1',
  M5 = 'M5',
  H1 = 'H1',
  D1 = 'D1',
}
registerEnumType(CandleFrameEnum, {
  name: 'CandleFrame',
  description: 'Length of a candle; buckets start at whole multiples of it since 1970-01-01T00:00Z (UTC).',
  valuesConfig: {
    M1: { description: 'One minute.' },
    M5: { description: 'Five minutes.' },
    H1: { description: 'One hour.' },
    D1: { description: 'One day (UTC).' },
  },
});

/** Compile-time check that the enum and the SQL module name the same frames. */
const _frames: Record<CandleFrameEnum, CandleFrame> = { M1: 'M1', M5: 'M5', H1: 'H1', D1: 'D1' };
void _frames;

@ObjectType('Candle', { description: 'Trades of one time bucket: open, high, low, close and volume. Prices in the product currency.' })
export class CandleGql {
  @Field({ description: 'Start of the bucket.' })
  time!: Date;

  @Field(() => DecimalScalar, { description: 'Price of the first trade in the bucket.' })
  open!: string;

  @Field(() => DecimalScalar, { description: 'Highest trade price.' })
  high!: string;

  @Field(() => DecimalScalar, { description: 'Lowest trade price.' })
  low!: string;

  @Field(() => DecimalScalar, { description: 'Price of the last trade in the bucket.' })
  close!: string;

  @Field(() => GraphQLSafeInt, { description: 'Shares traded: a sum over the trades, a SafeInt (an error rather than a rounded value past 2^53).' })
  volume!: number;

  @Field(() => Int, { description: 'Number of trades.' })
  trades!: number;

  @Field(() => ID, { description: "TradeID of its last trade: a client folding live trades into the chart adds only later ones (the tape's TradeIDs rise)." })
  lastTradeId!: string;

  static from(c: CandleRecord, tickSize: string): CandleGql {
    return Object.assign(new CandleGql(), {
      time: c.start,
      open: fromTicks(c.open, tickSize),
      high: fromTicks(c.high, tickSize),
      low: fromTicks(c.low, tickSize),
      close: fromTicks(c.close, tickSize),
      // Past 2^53 Number() is no safe integer, and the SafeInt scalar refuses it: an error, never a rounded volume.
      volume: Number(c.volume),
      trades: c.trades,
      lastTradeId: String(c.lastTradeId),
    });
  }
}
