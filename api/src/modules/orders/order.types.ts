import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DecimalScalar } from '../../graphql/scalars.js';
import { PageInfo } from '../../graphql/page-info.js';
import { OrdStatusEnum, OrdTypeEnum, SideEnum, TimeInForceEnum } from '../../graphql/enums.js';
import { averagePrice, fromTicks } from '../../decimal.js';
import type { OrdStatus, OrdType, Side, TimeInForce } from '../../engine/index.js';
import type { OrderRecord } from './order-record.js';
import { identifiesOwner, type OrderViewer } from './order-visibility.js';
import type { TradeRecord } from './order.service.js';

@ObjectType('Order', { description: 'An order with its FIX state.' })
export class OrderGql {
  @Field(() => ID, { description: 'OrderID (37), assigned by the exchange.' })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: "ClOrdID (11): the client's id, unique per account; a retry with the same one returns this order. Null on other accounts' orders (shown to support and admins only).",
  })
  clOrdId!: string | null;

  @Field(() => ID, { nullable: true, description: "The owning account: on your own orders, and on every order for support and admins; null otherwise." })
  accountId!: string | null;

  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => SideEnum, { description: 'Side (54).' })
  side!: Side;

  @Field(() => OrdTypeEnum, { description: 'OrdType (40).' })
  type!: OrdType;

  @Field(() => TimeInForceEnum, { description: 'TimeInForce (59).' })
  timeInForce!: TimeInForce;

  @Field({ description: 'Post-only: refused rather than taking liquidity.' })
  postOnly!: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: 'Limit price (44); null for market orders.' })
  price!: string | null;

  @Field(() => Int, { description: 'OrderQty (38): total quantity.' })
  quantity!: number;

  @Field(() => Int, { description: 'CumQty (14): filled so far.' })
  cumQty!: number;

  @Field(() => Int, { description: 'LeavesQty (151): still open; 0 once done.' })
  leavesQty!: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'AvgPx (6): average fill price; null before any fill.' })
  avgPx!: string | null;

  @Field(() => OrdStatusEnum, { description: 'OrdStatus (39).' })
  status!: OrdStatus;

  @Field(() => String, {
    nullable: true,
    description: "Why it was rejected, canceled or expired (e.g. SELF_TRADE, POST_ONLY_WOULD_TAKE, MASS_CANCEL, ACCOUNT_DISABLED, DISCONNECT), if it was. Null on other accounts' orders (shown to support and admins only).",
  })
  reason!: string | null;

  @Field({ description: "Whether the order is the caller's own." })
  mine!: boolean;

  @Field({ description: 'When it was received.' })
  createdAt!: Date;

  @Field({ description: 'When its state last changed.' })
  updatedAt!: Date;

  /** The order as `viewer` may see it ({@link identifiesOwner}: the one privacy rule). */
  static from(o: OrderRecord, tickSize: string, viewer: OrderViewer | undefined): OrderGql {
    const whole = identifiesOwner(viewer, o.accountId);
    return Object.assign(new OrderGql(), {
      id: String(o.id),
      clOrdId: whole ? o.clOrdId : null,
      accountId: whole ? String(o.accountId) : null,
      symbol: o.symbol,
      side: o.side,
      type: o.ordType,
      timeInForce: o.tif,
      postOnly: o.postOnly,
      price: o.ordType === 'LIMIT' ? fromTicks(o.priceTicks, tickSize) : null,
      quantity: o.qty,
      cumQty: o.cumQty,
      leavesQty: o.leavesQty,
      avgPx: averagePrice(o.cumNotional, o.cumQty, tickSize),
      status: o.status,
      reason: whole ? o.reason : null,
      mine: viewer?.id === o.accountId,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
    });
  }
}

@ObjectType({ description: 'A page of orders.' })
export class OrderConnection {
  @Field(() => [OrderGql], { description: 'Orders on this page.' })
  nodes!: OrderGql[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;
}

@InputType({ description: 'A new order (FIX NewOrderSingle).' })
export class PlaceOrderInput {
  @Field(() => String, { nullable: true, description: 'ClOrdID (11), up to 64 printable characters; generated when omitted. Reuse it to retry safely.' })
  clOrdId?: string | null;

  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => SideEnum, { description: 'Side (54).' })
  side!: Side;

  @Field(() => OrdTypeEnum, { description: 'OrdType (40).' })
  type!: OrdType;

  @Field(() => DecimalScalar, { nullable: true, description: "Limit price (44), a positive multiple of the product's tick size; omit for market orders." })
  price?: string | null;

  @Field(() => Int, { description: 'OrderQty (38), a positive whole number of shares.' })
  quantity!: number;

  @Field(() => TimeInForceEnum, { nullable: true, description: 'TimeInForce (59); default DAY for limit, IOC for market orders.' })
  timeInForce?: TimeInForce | null;

  @Field(() => Boolean, { nullable: true, description: 'Post-only (limit DAY/GTC only): refused if it would trade on arrival.' })
  postOnly?: boolean | null;
}

@ObjectType('Trade', { description: 'A fill on the public tape.' })
export class TradeGql {
  @Field(() => ID, { description: 'TradeID, unique per symbol (the book sequence number of the fill).' })
  tradeId!: string;

  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => DecimalScalar, { description: "Price (the resting order's price)." })
  price!: string;

  @Field(() => Int, { description: 'Quantity.' })
  quantity!: number;

  @Field(() => SideEnum, { description: 'Side of the incoming (aggressing) order.' })
  aggressorSide!: Side;

  @Field({ description: 'When it happened.' })
  time!: Date;

  static from(t: TradeRecord, tickSize: string): TradeGql {
    return Object.assign(new TradeGql(), {
      tradeId: String(t.tradeId),
      symbol: t.symbol,
      price: fromTicks(t.priceTicks, tickSize),
      quantity: t.qty,
      aggressorSide: t.aggressorSide,
      time: t.at,
    });
  }
}

@ObjectType({ description: 'One price level of the book.' })
export class BookLevel {
  @Field(() => DecimalScalar, { description: 'Price.' })
  price!: string;

  @Field(() => GraphQLSafeInt, { description: 'Total open quantity at this price: a sum over its orders, a SafeInt (below 2^53), not an Int.' })
  quantity!: number;

  @Field(() => GraphQLSafeInt, { description: 'Number of orders at this price.' })
  orderCount!: number;
}

@ObjectType('OrderBook', { description: 'Level-2 order book of one product.' })
export class OrderBookGql {
  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => GraphQLSafeInt, { description: 'Sequence number of the last book event this snapshot includes.' })
  seq!: number;

  @Field(() => [BookLevel], { description: 'Bids, best (highest) first.' })
  bids!: BookLevel[];

  @Field(() => [BookLevel], { description: 'Asks, best (lowest) first.' })
  asks!: BookLevel[];
}
