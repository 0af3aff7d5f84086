import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The persisted state of one FIX session, identified as FIX identifies it: our CompID and the
 * counterparty's CompID (BeginString is always FIX.4.4 here).
 *
 * Sequence numbers survive restarts and move between replicas with the session. A CompID is
 * bound to the account that first logged on with it. `owner`/`leaseUntil` is a lease: the
 * process serving the session holds it and renews it, so no second replica can run the same
 * session (or, checked at logon, a second session of the same account) while it is live.
 */
@Entity({ tableName: 'fix_sessions' })
@Index({ properties: ['accountId'] })
export class FixSessionRecord {
  /** SenderCompID (49) on our messages: FIX_SENDER_COMP_ID. */
  @PrimaryKey({ type: 'string', length: 64 })
  senderCompId!: string;

  /** The counterparty's CompID: TargetCompID (56) on our messages. */
  @PrimaryKey({ type: 'string', length: 64 })
  targetCompId!: string;

  /** The account this CompID belongs to. */
  @Property({ type: 'integer' })
  accountId!: number;

  /** MsgSeqNum (34) of our next outgoing message. */
  @Property({ type: new BigIntType('number') })
  nextSenderSeq = 1;

  /** MsgSeqNum (34) expected on the counterparty's next message. */
  @Property({ type: new BigIntType('number') })
  nextTargetSeq = 1;

  /** When the current sequence-number epoch began (first logon, or the last reset). */
  @Property({ type: 'datetime', length: 3 })
  createdAt!: Date;

  /** The process holding the session, or null when nobody is logged on. */
  @Property({ type: 'string', length: 64, nullable: true })
  owner?: string | null;

  /** The owner's lease ends here unless renewed; an expired lease is free to take. */
  @Property({ type: 'datetime', length: 3, nullable: true })
  leaseUntil?: Date | null;

  @Property({ type: 'datetime', length: 3 })
  updatedAt!: Date;
}
