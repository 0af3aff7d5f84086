import type { Knex } from '../../db/knex.js';
import type { Dialect } from '../../db/dialect.js';
import { toDate } from '../../db/dialect.js';

/** Candle lengths in seconds. Buckets start at multiples of the length since the Unix epoch (UTC). */
export const FRAME_SECONDS = { M1: 60, M5: 300, H1: 3600, D1: 86_400 } as const;
export type CandleFrame = keyof typeof FRAME_SECONDS;

/** Most candles one request may ask for. */
export const MAX_CANDLES = 500;

/** One bucket of trades: prices in ticks, volume in lots. */
export interface CandleRecord {
  /** Start of the bucket. */
  readonly start: Date;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: bigint;
  readonly trades: number;
  /** TradeID of the bucket's last trade. */
  readonly lastTradeId: number;
}

/**
 * Trades aggregated into candles by the database: one GROUP BY over the symbol's trades (its BUY
 * execution rows, one per trade) in the time range of the last `first` buckets, on the index
 * `(symbol, side, created_at)`, then the open and close prices of at most 2 × `first` rows by
 * primary key. Execution ids rise with time within a symbol (its rows are written under the
 * symbol's lock), so the first and last id of a bucket are its open and close.
 */
export class CandleReads {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  /**
   * The last `first` buckets of `frame` up to the one holding the symbol's latest trade before
   * `before` (default: its latest trade), oldest first; buckets without trades are left out.
   */
  async candles(symbol: string, frame: CandleFrame, first: number, before?: Date | null): Promise<CandleRecord[]> {
    const seconds = FRAME_SECONDS[frame];
    const trades = () => {
      const q = this.knex('executions').where({ symbol, side: 'BUY' });
      if (before) q.where('created_at', '<', before);
      return q;
    };
    const [latest] = (await trades().max({ t: 'created_at' })) as [{ t: unknown }];
    if (latest?.t === null || latest?.t === undefined) return [];
    const lastBucket = Math.floor(toDate(latest.t).getTime() / 1000 / seconds);
    const since = new Date((lastBucket - first + 1) * seconds * 1000);
    const bucket = this.bucketSql(seconds);
    const groups: Record<string, unknown>[] = await trades()
      .where('created_at', '>=', since)
      .groupBy('b')
      .orderBy('b')
      .select(
        this.knex.raw(`${bucket} AS b`),
        this.knex.raw('MIN(id) AS first_id'),
        this.knex.raw('MAX(id) AS last_id'),
        this.knex.raw('MIN(price_ticks) AS low'),
        this.knex.raw('MAX(price_ticks) AS high'),
        this.knex.raw('CAST(SUM(qty) AS CHAR) AS volume'),
        this.knex.raw('COUNT(*) AS n'),
      );
    if (groups.length === 0) return [];
    const ids = groups.flatMap((g) => [Number(g.first_id), Number(g.last_id)]);
    const rowsById = new Map<number, { price: number; tradeId: number }>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows: { id: unknown; price_ticks: unknown; trade_id: unknown }[] = await this.knex('executions').whereIn('id', ids.slice(i, i + 500)).select('id', 'price_ticks', 'trade_id');
      for (const r of rows) rowsById.set(Number(r.id), { price: Number(r.price_ticks), tradeId: Number(r.trade_id) });
    }
    return groups.map((g) => ({
      start: new Date(Number(g.b) * seconds * 1000),
      open: rowsById.get(Number(g.first_id))!.price,
      high: Number(g.high),
      low: Number(g.low),
      close: rowsById.get(Number(g.last_id))!.price,
      volume: BigInt(String(g.volume)),
      trades: Number(g.n),
      lastTradeId: rowsById.get(Number(g.last_id))!.tradeId,
    }));
  }

  /** The bucket number of a row: whole frames since the epoch (the column's UTC time). */
  private bucketSql(seconds: number): string {
    // SQLite stores the Date as epoch milliseconds; MySQL as a UTC DATETIME (the pool's timezone 'Z').
    return this.dialect === 'sqlite'
      ? `(created_at / ${seconds * 1000})`
      : `(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', created_at) DIV ${seconds})`;
  }
}
