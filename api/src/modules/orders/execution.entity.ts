import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import type { Side } from '../../engine/index.js';

/**
 * One side of a fill. Every trade writes exactly two rows (a BUY and a SELL) with the same
 * `tradeId`, price and quantity. Rows are only ever inserted, never updated.
 */
@Entity({ tableName: 'executions' })
@Index({ properties: ['accountId', 'symbol'] })
@Index({ properties: ['symbol', 'id'] })
@Index({ properties: ['accountId', 'id'] })
@Index({ properties: ['symbol', 'side', 'createdAt'] })
export class Execution {
  @PrimaryKey({ type: new BigIntType('number'), autoincrement: true })
  id!: number;

  /** ExecID (17): `<symbol>:<tradeId>:<B|S>`, unique. */
  @Property({ type: 'string', length: 64, unique: true })
  execId!: string;

  /** TradeID: the book sequence number of the trade event; unique per symbol. */
  @Property({ type: new BigIntType('number') })
  tradeId!: number;

  @Property({ type: 'string', length: 32 })
  symbol!: string;

  @Index()
  @Property({ type: new BigIntType('number') })
  orderId!: number;

  @Property({ type: 'integer' })
  accountId!: number;

  @Enum({ items: ['BUY', 'SELL'] })
  side!: Side;

  /** True when this side was the resting order. */
  @Property({ type: 'boolean' })
  maker!: boolean;

  @Property({ type: new BigIntType('number') })
  priceTicks!: number;

  @Property({ type: new BigIntType('number') })
  qty!: number;

  @Property({ type: new BigIntType('number') })
  counterOrderId!: number;

  @Property({ type: 'datetime', length: 3 })
  createdAt!: Date;
}
