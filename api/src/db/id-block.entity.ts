import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Hi/lo id allocation: each process reserves a block of ids in one short transaction. */
@Entity({ tableName: 'id_blocks' })
export class IdBlock {
  @PrimaryKey({ type: 'string', length: 32 })
  name!: string;

  /** The first id not yet handed out to any process. */
  @Property({ type: new BigIntType('number') })
  nextId!: number;
}
