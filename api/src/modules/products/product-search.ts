import type { Knex } from '../../db/knex.js';
import type { Dialect } from '../../db/orm.js';
import { pageComplexity } from '../../graphql/args.js';

/**
 * Catalog search through indexes only, the same on both dialects:
 * - a product matches when its symbol starts with the text (case-insensitive), or when every
 *   word of the text appears somewhere in its name (case-insensitive substring);
 * - name matching needs one word of at least {@link MIN_NAME_WORD} characters: that word (or
 *   those words) is found through a trigram index (SQLite: FTS5 `trigram`; MySQL/MariaDB, which
 *   has no ngram FULLTEXT parser: the `product_trigrams` table the API keeps in sync), and the
 *   other words only filter those candidates. Shorter texts ("A", "GE") match symbols only;
 * - symbol prefixes are read from the primary key, so no accepted search scans the catalog;
 * - results are ranked: exact symbol, symbol prefix, name starting with the first word, other
 *   names; within a rank, symbols without a listing suffix (no `.`) first, then by symbol.
 */

/** Longest text considered (characters); the rest is ignored. */
export const MAX_SEARCH_TEXT = 100;
/** Words of the text considered; the rest are ignored. */
export const MAX_SEARCH_WORDS = 8;
/** Shortest word looked up in the name index (the trigram length). */
export const MIN_NAME_WORD = 3;

/**
 * Complexity units a text search costs on top of its page: about what the worst one reads and
 * sorts (a common trigram matches ~8,500 names; 5-10 ms on SQLite, like a scan of the catalog).
 * With GRAPHQL_MAX_COMPLEXITY at its default, one request holds at most two text searches.
 */
export const SEARCH_COST = 4000;

/** The complexity of `products`: its page, plus {@link SEARCH_COST} when it has a search text. */
export function searchComplexity(options: Parameters<typeof pageComplexity>[0] & { args: { query?: string | null } }): number {
  return pageComplexity(options) + (parseSearchText(options.args.query) ? SEARCH_COST : 0);
}

/** A search text split the way both dialects use it. */
export interface SearchText {
  /** The trimmed text, upper-cased: what symbols are compared with. */
  readonly symbol: string;
  /** Lower-cased words (at most {@link MAX_SEARCH_WORDS}); every one must appear in a matching name. */
  readonly words: readonly string[];
  /** Whether names are searched at all (some word has {@link MIN_NAME_WORD}+ characters). */
  readonly byName: boolean;
}

/** Splits a search text; undefined for an empty one (browse the catalog by symbol). */
export function parseSearchText(query: string | null | undefined): SearchText | undefined {
  const text = (query ?? '').trim().slice(0, MAX_SEARCH_TEXT);
  if (!text) return undefined;
  const words = text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_SEARCH_WORDS);
  return { symbol: text.toUpperCase(), words, byName: words.some((w) => [...w].length >= MIN_NAME_WORD) };
}

/**
 * Rank of a product for a search (lower first): 0 exact symbol, 1 symbol prefix, 2 name
 * starting with the first word, 3 other name match. The SQL in {@link rankSql} says the same.
 */
export function searchRank(s: SearchText, p: { readonly symbol: string; readonly name: string }): number {
  const symbol = p.symbol.toUpperCase();
  if (symbol === s.symbol) return 0;
  if (symbol.startsWith(s.symbol)) return 1;
  return p.name.toLowerCase().startsWith(s.words[0]!) ? 2 : 3;
}

/** 1 for a symbol with a listing suffix (a `.`), 0 for a home listing: home listings rank first. */
export const listingOrder = (symbol: string) => (symbol.includes('.') ? 1 : 0);

/** The distinct lower-cased 3-character substrings of a name (the MySQL name index's terms). */
export function nameTrigrams(name: string): string[] {
  const chars = [...name.toLowerCase()];
  const out = new Set<string>();
  for (let i = 0; i + MIN_NAME_WORD <= chars.length; i++) out.add(chars.slice(i, i + MIN_NAME_WORD).join(''));
  return [...out];
}

/**
 * Escapes LIKE wildcards so user text matches literally. The escape character is `!`, which
 * means the same in MySQL and SQLite string literals (a backslash does not).
 */
export const escapeLike = (s: string) => s.replace(/[!%_]/g, (c) => `!${c}`);

const RANK = `case when upper(p.symbol) = ? then 0 when p.symbol like ? escape '!' then 1 when lower(p.name) like ? escape '!' then 2 else 3 end`;
const LISTING = `case when p.symbol like '%.%' then 1 else 0 end`;

/** The rank expression over `p` (products) with its bindings, equal to {@link searchRank}. */
function rankSql(s: SearchText): [string, string[]] {
  return [RANK, [s.symbol, `${escapeLike(s.symbol)}%`, `${escapeLike(s.words[0]!)}%`]];
}

/**
 * Symbols matching a search, as one SQL subquery (a union of index lookups) with its bindings:
 * symbols by prefix from the primary key, names through the dialect's trigram index.
 */
function matchesSql(dialect: Dialect, s: SearchText): [string, (string | number)[]] {
  const parts: string[] = [];
  const bindings: (string | number)[] = [];
  if (dialect === 'sqlite') {
    // BINARY range on the primary key (symbols are upper-case; LIKE would not use the index).
    parts.push('select symbol from products where symbol >= ? and symbol < ?');
    bindings.push(s.symbol, `${s.symbol}\u007f`);
  } else {
    parts.push(`select symbol from products where symbol like ? escape '!'`);
    bindings.push(`${escapeLike(s.symbol)}%`);
  }
  if (s.byName) {
    const long = s.words.filter((w) => [...w].length >= MIN_NAME_WORD);
    const likes = s.words.map(() => `lower(n.name) like ? escape '!'`).join(' and ');
    const likeBindings = s.words.map((w) => `%${escapeLike(w)}%`);
    if (dialect === 'sqlite') {
      const match = long.map((w) => `"${w.replace(/"/g, '""')}"`).join(' AND ');
      parts.push(
        `select i.symbol from product_search f join product_search_ids i on i.id = f.rowid join products n on n.symbol = i.symbol where product_search match ? and ${likes}`,
      );
      bindings.push(match, ...likeBindings);
    } else {
      const trigrams = [...new Set(long.flatMap(nameTrigrams))];
      parts.push(
        `select n.symbol from (select symbol from product_trigrams where trigram in (${trigrams.map(() => '?').join(', ')}) group by symbol having count(*) = ?) g straight_join products n on n.symbol = g.symbol where ${likes}`,
      );
      bindings.push(...trigrams, trigrams.length, ...likeBindings);
    }
  }
  return [parts.join(' union '), bindings];
}

/** Where a ranked page starts: the rank key of the previous page's last product. */
export interface SearchCursor {
  readonly rank: number;
  readonly listing: number;
  readonly symbol: string;
}

/**
 * One page of a text search, ranked (see the module comment), starting after `cursor`, as rows
 * of `products`. Reads only what the indexes return for the text.
 */
export async function searchPage(
  knex: Knex,
  dialect: Dialect,
  s: SearchText,
  opts: { readonly type?: string; readonly cursor?: SearchCursor; readonly limit: number },
): Promise<Record<string, unknown>[]> {
  const [matches, matchBindings] = matchesSql(dialect, s);
  const [rank, rankBindings] = rankSql(s);
  const where: string[] = [];
  const whereBindings: (string | number)[] = [];
  if (opts.type) {
    where.push('x.type = ?');
    whereBindings.push(opts.type);
  }
  const c = opts.cursor;
  if (c) {
    where.push('(x.search_rank > ? or (x.search_rank = ? and (x.search_listing > ? or (x.search_listing = ? and x.symbol > ?))))');
    whereBindings.push(c.rank, c.rank, c.listing, c.listing, c.symbol);
  }
  // MySQL: the matches drive the join (its planner may otherwise scan products and probe them).
  const join = dialect === 'mysql' ? 'straight_join' : 'join';
  const sql =
    `select x.* from (select p.*, ${rank} as search_rank, ${LISTING} as search_listing from (${matches}) m ${join} products p on p.symbol = m.symbol) x` +
    `${where.length ? ` where ${where.join(' and ')}` : ''} order by x.search_rank, x.search_listing, x.symbol limit ?`;
  const result = await knex.raw(sql, [...rankBindings, ...matchBindings, ...whereBindings, opts.limit]);
  return (dialect === 'mysql' ? (result as [Record<string, unknown>[]])[0] : result) as Record<string, unknown>[];
}

/**
 * Keeps the MySQL name index of one product in step with its name (SQLite's triggers do this
 * there). Run in the transaction that writes the name.
 */
export async function indexName(knex: Knex, dialect: Dialect, symbol: string, name: string, replace: boolean): Promise<void> {
  if (dialect !== 'mysql') return;
  if (replace) await knex('product_trigrams').where({ symbol }).delete();
  const rows = nameTrigrams(name).map((trigram) => ({ trigram, symbol }));
  for (let i = 0; i < rows.length; i += 500) await knex('product_trigrams').insert(rows.slice(i, i + 500)).onConflict(['trigram', 'symbol']).ignore();
}

/** {@link indexName} for many new products at once (catalog seeding). */
export async function indexNames(knex: Knex, dialect: Dialect, products: readonly { readonly symbol: string; readonly name: string }[]): Promise<void> {
  if (dialect !== 'mysql') return;
  const rows = products.flatMap((p) => nameTrigrams(p.name).map((trigram) => ({ trigram, symbol: p.symbol })));
  for (let i = 0; i < rows.length; i += 2000) await knex('product_trigrams').insert(rows.slice(i, i + 2000)).onConflict(['trigram', 'symbol']).ignore();
}
