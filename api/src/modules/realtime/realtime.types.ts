import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DecimalScalar } from '../../graphql/scalars.js';
import { ExecTypeEnum } from '../../graphql/enums.js';
import type { ExecType } from './messages.js';
import { BookLevel, OrderGql } from '../orders/order.types.js';

export enum BookUpdateKind {
  SNAPSHOT = 'SNAPSHOT',
  DELTA = 'DELTA',
}
registerEnumType(BookUpdateKind, {
  name: 'BookUpdateKind',
  description: 'Whether a book update is a whole snapshot or changes since the previous update.',
  valuesConfig: {
    SNAPSHOT: { description: 'The whole book up to the requested depth.' },
    DELTA: { description: 'Only the levels that changed; quantity 0 means the level is gone.' },
  },
});

@ObjectType({ description: 'A FIX-style execution report: one state change of one of your orders.' })
export class ExecutionReport {
  @Field(() => ID, { description: 'ExecID (17): unique per report.' })
  execId!: string;

  @Field(() => ExecTypeEnum, { description: 'ExecType (150): what happened.' })
  execType!: ExecType;

  @Field(() => OrderGql, { description: 'The order as of this report: OrdStatus, CumQty, LeavesQty, AvgPx.' })
  order!: OrderGql;

  @Field(() => Int, { nullable: true, description: 'LastQty (32): quantity of this fill.' })
  lastQty!: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'LastPx (31): price of this fill.' })
  lastPx!: string | null;

  @Field(() => ID, { nullable: true, description: 'TradeID of this fill.' })
  tradeId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was canceled, rejected or expired, if it was.' })
  reason!: string | null;

  @Field({ description: 'TransactTime (60).' })
  time!: Date;
}

@ObjectType({ description: 'A book update: a snapshot first, then deltas. Each carries seq and prevSeq; if prevSeq is not the seq you last applied, you missed updates: resubscribe or query orderBook.' })
export class OrderBookUpdate {
  @Field({ description: 'Product symbol.' })
  symbol!: string;

  @Field(() => BookUpdateKind, { description: 'SNAPSHOT or DELTA.' })
  kind!: BookUpdateKind;

  @Field(() => GraphQLSafeInt, { description: 'Book sequence number after this update.' })
  seq!: number;

  @Field(() => GraphQLSafeInt, { description: 'Sequence number of the update this one follows (equal to seq for a snapshot).' })
  prevSeq!: number;

  @Field(() => [BookLevel], { description: 'Bids, best first (in a delta: changed levels only).' })
  bids!: BookLevel[];

  @Field(() => [BookLevel], { description: 'Asks, best first (in a delta: changed levels only).' })
  asks!: BookLevel[];
}
