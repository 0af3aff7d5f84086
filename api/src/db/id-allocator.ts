import type { Knex } from './knex.js';

/**
 * Hands out unique ids from a named counter without a round trip per id: each process reserves
 * a block of `blockSize` ids in one short transaction (hi/lo). Ids are unique across processes
 * and restarts; they increase within a process but not across processes, and a crash leaves a
 * gap. Safe for both MySQL (the UPDATE takes the row lock first) and SQLite (single writer).
 */
export class IdAllocator {
  private next = 0;
  private end = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly name: string,
    private readonly blockSize = 1000,
  ) {}

  /** Reserves `count` ids; returns them in increasing order. */
  async take(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.next >= this.end) await this.refill();
      while (ids.length < count && this.next < this.end) ids.push(this.next++);
    }
    return ids;
  }

  private async refill(): Promise<void> {
    // One refill at a time; concurrent callers wait for the same block.
    this.pending ??= this.reserve().finally(() => (this.pending = undefined));
    await this.pending;
  }

  private async reserve(): Promise<void> {
    if (this.next < this.end) return;
    const start = await this.knex.transaction(async (trx) => {
      await trx('id_blocks').where({ name: this.name }).increment('next_id', this.blockSize);
      const row = await trx('id_blocks').where({ name: this.name }).first('next_id');
      if (!row) throw new Error(`id_blocks has no counter named ${this.name}`);
      return Number(row.next_id) - this.blockSize;
    });
    this.next = start;
    this.end = start + this.blockSize;
  }
}
