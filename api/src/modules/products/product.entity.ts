import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { ProductType, TradingStatus } from './product-model.js';

/**
 * A tradable product. Prices are stored in ticks (integers) of `tickSize`, a decimal string.
 * The row doubles as the symbol's sequencer record: `bookSeq` is the sequence number of the
 * last committed book event, and the order path locks this row while it matches.
 */
@Entity({ tableName: 'products' })
export class Product {
  @PrimaryKey({ type: 'string', length: 32 })
  symbol!: string;

  @Index()
  @Property({ type: 'string', length: 255 })
  name!: string;

  @Index()
  @Enum({ items: () => ProductType })
  type!: ProductType;

  /** Smallest price increment, a positive decimal string such as "0.01". */
  @Property({ type: 'string', length: 20 })
  tickSize = '0.01';

  /** Reference (previous close) price in ticks; null when the catalog has none. */
  @Property({ type: new BigIntType('number'), nullable: true })
  refPriceTicks?: number | null;

  /** Last traded price in ticks; null before the first trade. */
  @Property({ type: new BigIntType('number'), nullable: true })
  lastPriceTicks?: number | null;

  @Property({ type: 'datetime', length: 3, nullable: true })
  lastTradeAt?: Date | null;

  @Enum({ items: () => TradingStatus })
  status: TradingStatus = TradingStatus.TRADING;

  /** Sequence number of the last committed event of this symbol's book. */
  @Property({ type: new BigIntType('number') })
  bookSeq = 0;

  /** Trading hours set by an admin (all four or none); none = the listing suffix's default (trading-schedule.ts). */
  @Property({ type: 'string', length: 64, nullable: true })
  sessionTimeZone?: string | null;

  /** Local opening time, HH:MM. */
  @Property({ type: 'string', length: 5, nullable: true })
  sessionOpen?: string | null;

  /** Local closing time, HH:MM. */
  @Property({ type: 'string', length: 5, nullable: true })
  sessionClose?: string | null;

  /** ISO weekdays of the session as digits, e.g. 12345. */
  @Property({ type: 'string', length: 7, nullable: true })
  sessionDays?: string | null;

  /** The close (ms since the epoch) up to which DAY orders have expired; set by the order path under the row lock. */
  @Property({ type: new BigIntType('number') })
  dayExpiredThrough = 0;

  @Property({ type: 'datetime', length: 3 })
  updatedAt: Date = new Date();
}
