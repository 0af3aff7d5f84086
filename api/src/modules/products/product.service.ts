import type { Knex } from '../../db/knex.js';
import { recordAudit, type AuditActor } from '../admin-audit/audit-log.js';
import { isDecimal, toTicks } from '../../decimal.js';
import { badInput, conflict, notFound } from '../../errors.js';
import { toDate } from '../../db/dialect.js';
import { DEFAULT_TICK_SIZE, ProductType, TradingStatus } from './product-model.js';
import type { Dialect } from '../../db/dialect.js';
import { formatTime, hoursFromRow, validHours, type TradingHours } from './trading-schedule.js';
import { COUNT_CACHE_MS, indexName, listingOrder, parseSearchText, searchPage, searchRank, type SearchCursor, type SearchText } from './product-search.js';

/**
 * The tick size to show a symbol's prices in. Orders, trades and holdings always name a listed
 * product (products are never deleted); the default covers a row read while its product's cache
 * entry was being replaced, never a price the engine saw.
 */
export function tickSizeOf(product: Pick<ProductRecord, 'tickSize'> | undefined): string {
  return product?.tickSize ?? DEFAULT_TICK_SIZE;
}

/** A product as services use it (prices in ticks of `tickSize`). */
export interface ProductRecord {
  readonly symbol: string;
  readonly name: string;
  readonly type: ProductType;
  readonly tickSize: string;
  readonly refPriceTicks: number | null;
  readonly lastPriceTicks: number | null;
  readonly lastTradeAt: Date | null;
  readonly status: TradingStatus;
  readonly updatedAt: Date;
  /** Its trading hours: an admin's, or its listing suffix's default. */
  readonly hours: TradingHours;
  /** True when an admin set `hours` (false: the suffix default). */
  readonly customHours: boolean;
}

export interface ProductSearch {
  /** Symbol prefix or words of the name (all must appear), case-insensitive; see product-search.ts. */
  readonly query?: string;
  readonly type?: ProductType;
  /** Page size (already capped by the caller). */
  readonly first: number;
  /** Cursor: the last symbol of the previous page (of the same query: text results are ranked). */
  readonly after?: string;
  /** Also count every match (`total`). */
  readonly withTotal?: boolean;
}

export interface ProductInput {
  readonly symbol: string;
  readonly name: string;
  readonly type: ProductType;
  readonly tickSize?: string;
  readonly refPrice?: string | null;
}

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9.\-^=_]{0,31}$/;

/** Catalog queries and admin changes. Tick size is fixed at creation: prices in ticks depend on it. */
export class ProductService {
  /** symbol → product, for the order path's edge checks; refreshed on every change made here. */
  private readonly cache = new Map<string, ProductRecord>();
  /** Browse counts by type ('' for all), with when they were read. */
  private readonly counts = new Map<string, { n: number; at: number }>();
  /** The last catalog read waiting for its turn (SQLite; see {@link turn}). */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  async search(s: ProductSearch): Promise<{ products: ProductRecord[]; hasNextPage: boolean; total?: number }> {
    await this.turn();
    const text = parseSearchText(s.query);
    let rows: Record<string, unknown>[];
    let total: number | undefined;
    if (!text) {
      const q = this.knex('products').select('*').orderBy('symbol').limit(s.first + 1);
      if (s.type) q.where('type', s.type);
      if (s.after) q.where('symbol', '>', s.after);
      rows = await q;
      if (s.withTotal) total = await this.browseCount(s.type);
    } else {
      const cursor = s.after ? await this.cursorOf(text, s.after) : undefined;
      rows = await searchPage(this.knex, this.dialect, text, { type: s.type, cursor, limit: s.first + 1, withTotal: s.withTotal });
      if (s.withTotal && rows.length) total = Number(rows[0]!.search_total);
      // A page after the last carries no count: the first row of the search does.
      else if (s.withTotal) total = cursor ? Number((await searchPage(this.knex, this.dialect, text, { type: s.type, limit: 1, withTotal: true }))[0]?.search_total ?? 0) : 0;
    }
    const products = rows.slice(0, s.first).map(productFromRow);
    // The page's resolution (up to 200 rows of fields) gets a turn of its own too.
    await this.turn();
    return { products, hasNextPage: rows.length > s.first, ...(s.withTotal ? { total } : {}) };
  }

  /** Products in the catalog (or of one type), counted at most once per COUNT_CACHE_MS. */
  private async browseCount(type: ProductType | undefined): Promise<number> {
    const key = type ?? '';
    const hit = this.counts.get(key);
    if (hit && hit.at > Date.now() - COUNT_CACHE_MS) return hit.n;
    const q = this.knex('products').count<{ n: number }[]>({ n: '*' });
    if (type) q.where('type', type);
    const n = Number((await q)[0]?.n ?? 0);
    this.counts.set(key, { n, at: Date.now() });
    return n;
  }

  /**
   * On SQLite a catalog read runs on the event loop (synchronously): each one waits for a turn
   * of the loop of its own, so the pages and searches of one request (20 aliases) do not run back
   * to back while /healthz and other requests wait. On MySQL the read is I/O and needs no turn.
   * Turns are taken in order, one per loop iteration, across all requests.
   */
  private turn(): Promise<void> {
    if (this.dialect !== 'sqlite') return Promise.resolve();
    const mine = this.queue.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.queue = mine;
    return mine;
  }

  /** Where a ranked page after `symbol` starts (a symbol that is not in the catalog ranks by its text alone). */
  private async cursorOf(text: SearchText, symbol: string): Promise<SearchCursor> {
    const row = await this.knex('products').where({ symbol }).first('name');
    return { rank: searchRank(text, { symbol, name: row ? String(row.name) : '' }), listing: listingOrder(symbol), symbol };
  }

  async get(symbol: string): Promise<ProductRecord | undefined> {
    const row = await this.knex('products').where({ symbol }).first('*');
    if (!row) return undefined;
    const p = productFromRow(row);
    this.cache.set(symbol, p);
    return p;
  }

  /** Like get, but served from memory after the first read: for tick size and existence checks. */
  async cached(symbol: string): Promise<ProductRecord | undefined> {
    return this.cache.get(symbol) ?? this.get(symbol);
  }

  /** Many products by symbol, in one query. */
  async many(symbols: readonly string[]): Promise<Map<string, ProductRecord>> {
    if (symbols.length === 0) return new Map();
    const rows = await this.knex('products').whereIn('symbol', [...new Set(symbols)]).select('*');
    return new Map(rows.map((r) => [String(r.symbol), productFromRow(r)]));
  }

  /** Adds a product; `audit`: who, recorded in the same transaction. */
  async create(input: ProductInput, audit?: AuditActor): Promise<ProductRecord> {
    if (!SYMBOL.test(input.symbol)) throw badInput('INVALID_SYMBOL', 'Symbol: 1 to 32 letters, digits or . - ^ = _', 'symbol');
    const tickSize = input.tickSize ?? DEFAULT_TICK_SIZE;
    if (!isDecimal(tickSize) || toTicks(tickSize, tickSize) !== 1) {
      throw badInput('INVALID_TICK_SIZE', 'Tick size must be a positive decimal such as 0.01.', 'tickSize');
    }
    const refPriceTicks = this.refTicks(input.refPrice, tickSize);
    validateName(input.name);
    if (await this.knex('products').where({ symbol: input.symbol }).first('symbol')) {
      throw conflict('SYMBOL_EXISTS', `Product ${input.symbol} already exists.`);
    }
    await this.knex.transaction(async (trx) => {
      await trx('products').insert({
        symbol: input.symbol,
        name: input.name,
        type: input.type,
        tick_size: tickSize,
        ref_price_ticks: refPriceTicks,
        last_price_ticks: null,
        status: TradingStatus.TRADING,
        book_seq: 0,
        updated_at: new Date(),
      });
      await indexName(trx, this.dialect, input.symbol, input.name, false);
      if (audit) await recordAudit(trx, audit, { action: 'CREATE_PRODUCT', target: input.symbol, details: { name: input.name, type: input.type, tickSize, refPrice: input.refPrice ?? null } });
    });
    return (await this.get(input.symbol))!;
  }

  /** Changes a product; `audit`: who, recorded in the same transaction. */
  async update(symbol: string, patch: { name?: string; type?: ProductType; refPrice?: string | null }, audit?: AuditActor): Promise<ProductRecord> {
    const current = await this.get(symbol);
    if (!current) throw notFound('UNKNOWN_SYMBOL', `No product ${symbol}.`);
    const row: Record<string, unknown> = { updated_at: new Date() };
    if (patch.name !== undefined) {
      validateName(patch.name);
      row.name = patch.name;
    }
    if (patch.type !== undefined) row.type = patch.type;
    if (patch.refPrice !== undefined) row.ref_price_ticks = this.refTicks(patch.refPrice, current.tickSize);
    await this.knex.transaction(async (trx) => {
      await trx('products').where({ symbol }).update(row);
      if (patch.name !== undefined) await indexName(trx, this.dialect, symbol, patch.name, true);
      if (audit) await recordAudit(trx, audit, { action: 'UPDATE_PRODUCT', target: symbol, details: patch });
    });
    return (await this.get(symbol))!;
  }

  /** Halts or resumes trading. A halted symbol refuses new orders and amends; cancels still work. `audit`: who, recorded in the same transaction. */
  async setStatus(symbol: string, status: TradingStatus, audit?: AuditActor): Promise<ProductRecord> {
    await this.knex.transaction(async (trx) => {
      const n = await trx('products').where({ symbol }).update({ status, updated_at: new Date() });
      if (n === 0) throw notFound('UNKNOWN_SYMBOL', `No product ${symbol}.`);
      if (audit) await recordAudit(trx, audit, { action: status === TradingStatus.HALTED ? 'HALT' : 'RESUME', target: symbol });
    });
    return (await this.get(symbol))!;
  }

  /**
   * Sets a product's trading hours, or (null) returns it to its listing suffix's default. Takes
   * effect at once for new orders; resting DAY orders expire at the next close of the new hours.
   */
  async setHours(symbol: string, hours: TradingHours | null): Promise<ProductRecord> {
    if (hours && !validHours(hours)) {
      throw badInput('INVALID_TRADING_HOURS', 'Hours: a known IANA time zone, open before close (HH:MM, same day), one to seven distinct weekdays 1–7.', 'hours');
    }
    const row = hours
      ? { session_time_zone: hours.timeZone, session_open: formatTime(hours.open), session_close: formatTime(hours.close), session_days: [...hours.days].sort().join('') }
      : { session_time_zone: null, session_open: null, session_close: null, session_days: null };
    const n = await this.knex('products').where({ symbol }).update({ ...row, updated_at: new Date() });
    if (n === 0) throw notFound('UNKNOWN_SYMBOL', `No product ${symbol}.`);
    return (await this.get(symbol))!;
  }

  private refTicks(price: string | null | undefined, tickSize: string): number | null {
    if (price === undefined || price === null || price === '') return null;
    const ticks = toTicks(price, tickSize);
    if (ticks === undefined || ticks <= 0) {
      throw badInput('INVALID_PRICE', `Reference price must be a positive multiple of ${tickSize}.`, 'refPrice');
    }
    return ticks;
  }
}

function validateName(name: string): void {
  if (name.trim().length === 0 || name.length > 255) throw badInput('INVALID_NAME', 'Name: 1 to 255 characters.', 'name');
}

export function productFromRow(r: Record<string, unknown>): ProductRecord {
  return {
    symbol: String(r.symbol),
    name: String(r.name),
    type: r.type as ProductType,
    tickSize: String(r.tick_size),
    refPriceTicks: r.ref_price_ticks == null ? null : Number(r.ref_price_ticks),
    lastPriceTicks: r.last_price_ticks == null ? null : Number(r.last_price_ticks),
    lastTradeAt: r.last_trade_at == null ? null : toDate(r.last_trade_at),
    status: r.status as TradingStatus,
    updatedAt: toDate(r.updated_at),
    ...hoursFromRow(r),
  };
}
