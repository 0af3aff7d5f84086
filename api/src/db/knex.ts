import type { MikroORM } from '@mikro-orm/core';
import type { Knex, SqlEntityManager } from '@mikro-orm/mysql';

/** The knex instance behind the ORM (both drivers are knex-based): for set-based SQL on hot paths. */
export function knexOf(orm: MikroORM): Knex {
  return (orm.em as unknown as SqlEntityManager).getKnex();
}

export type { Knex };
