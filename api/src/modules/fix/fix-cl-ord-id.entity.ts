import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** Which request introduced a ClOrdID that is not an order's original one. */
export type ClOrdIdKind = 'REPLACE' | 'CANCEL';
const KINDS: ClOrdIdKind[] = ['REPLACE', 'CANCEL'];

/**
 * A ClOrdID (11) carried by an accepted OrderCancelReplaceRequest or OrderCancelRequest.
 * Orders keep their original ClOrdID in `orders`; this table maps the later ones to the order,
 * so OrigClOrdID (41) may name any ClOrdID of the chain and reports carry the latest one.
 * ClOrdIDs are unique per account across both tables.
 */
@Entity({ tableName: 'fix_cl_ord_ids' })
@Index({ properties: ['orderId'] })
export class FixClOrdId {
  @PrimaryKey({ type: 'integer' })
  accountId!: number;

  @PrimaryKey({ type: 'string', length: 64 })
  clOrdId!: string;

  @Property({ type: new BigIntType('number') })
  orderId!: number;

  /** The OrigClOrdID (41) of the request. */
  @Property({ type: 'string', length: 64 })
  origClOrdId!: string;

  @Enum({ items: KINDS })
  kind!: ClOrdIdKind;

  @Property({ type: 'datetime', length: 3 })
  createdAt!: Date;
}
