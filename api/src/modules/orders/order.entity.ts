import { BigIntType, Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { ORD_STATUSES, ORD_TYPES, SIDES, TIMES_IN_FORCE, type OrdStatus, type OrdType, type Side, type TimeInForce } from '../../engine/index.js';

/**
 * An order as committed. Quantities are lots, prices ticks of the product's tick size,
 * `cumNotional` ticks × lots (AvgPx = cumNotional / cumQty). `prioritySeq` is the book sequence
 * number at which the order took its current time priority: recovery rebuilds each level in
 * that order.
 */
@Entity({ tableName: 'orders' })
@Unique({ properties: ['accountId', 'clOrdId'] })
@Index({ properties: ['symbol', 'status'] })
@Index({ properties: ['accountId', 'createdAt'] })
@Index({ properties: ['status', 'createdAt'] })
export class Order {
  /** Allocated by the id allocator before matching (the engine needs it). */
  @PrimaryKey({ type: new BigIntType('number'), autoincrement: false })
  id!: number;

  @Property({ type: 'string', length: 64 })
  clOrdId!: string;

  @Property({ type: 'integer' })
  accountId!: number;

  @Property({ type: 'string', length: 32 })
  symbol!: string;

  @Enum({ items: [...SIDES] })
  side!: Side;

  @Enum({ items: [...ORD_TYPES] })
  ordType!: OrdType;

  @Enum({ items: [...TIMES_IN_FORCE] })
  tif!: TimeInForce;

  @Property({ type: 'boolean' })
  postOnly = false;

  /** Limit price in ticks; 0 for market orders. */
  @Property({ type: new BigIntType('number') })
  priceTicks!: number;

  @Property({ type: new BigIntType('number') })
  qty!: number;

  @Property({ type: new BigIntType('number') })
  cumQty = 0;

  @Property({ type: new BigIntType('number') })
  leavesQty!: number;

  @Property({ type: new BigIntType('number') })
  cumNotional = 0;

  @Enum({ items: [...ORD_STATUSES] })
  status!: OrdStatus;

  /** Why the order was rejected or canceled (engine reason code), if it was. */
  @Property({ type: 'string', length: 32, nullable: true })
  reason?: string | null;

  @Property({ type: new BigIntType('number') })
  prioritySeq!: number;

  @Property({ type: 'datetime', length: 3 })
  createdAt!: Date;

  @Property({ type: 'datetime', length: 3 })
  updatedAt!: Date;
}
