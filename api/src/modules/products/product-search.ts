import type { Knex } from '../../db/knex.js';
import type { Dialect } from '../../db/dialect.js';
import { Kind, type FieldNode, type SelectionSetNode } from 'graphql';
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
 * sorts (a common trigram such as "ion" matches ~8,500 names, which costs SQLite about 1.5 scans
 * of the catalog's names). With GRAPHQL_MAX_COMPLEXITY at its default, a request holds one text
 * search, with a page of up to ~190 full product rows.
 */
export const SEARCH_COST = 5000;

/**
 * Complexity units of `totalCount` on a text search: the ranking pass counts every match in the
 * same statement (a window over what it reads anyway), which adds up to about a third of the
 * search's own time for the commonest words (bench:count: "ion" and "inc", ~8,500 matches each,
 * ×1.16 to ×1.33 on a loaded machine), i.e. up to ~30% of {@link SEARCH_COST}.
 */
export const SEARCH_COUNT_COST = 1500;
/** Complexity units of `totalCount` on a browse: the catalog (or one type) counted at most once per {@link COUNT_CACHE_MS}. */
export const BROWSE_COUNT_COST = 200;

/** How long a browse count (all products, or of one type) is reused. */
export const COUNT_CACHE_MS = 5_000;

/**
 * Whether a `products` selection may ask for `totalCount`: it names it, or it spreads a
 * fragment (which the estimator cannot see into, so it is priced as if it did).
 */
function mayCount(set: SelectionSetNode | undefined): boolean {
  return (set?.selections ?? []).some(
    (s) => (s.kind === Kind.FIELD && s.name.value === 'totalCount') || s.kind === Kind.FRAGMENT_SPREAD || (s.kind === Kind.INLINE_FRAGMENT && mayCount(s.selectionSet)),
  );
}

/** The complexity of `products`: its page, plus {@link SEARCH_COST} when it has a search text, plus its count when asked for. */
export function searchComplexity(options: Parameters<typeof pageComplexity>[0] & { args: { query?: string | null }; node?: FieldNode }): number {
  const text = parseSearchText(options.args.query) !== undefined;
  const count = mayCount(options.node?.selectionSet) ? (text ? SEARCH_COUNT_COST : BROWSE_COUNT_COST) : 0;
  return pageComplexity(options) + (text ? SEARCH_COST : 0) + count;
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

/** Splits a search text (control characters count as spaces); undefined for an empty one (browse by symbol). */
export function parseSearchText(query: string | null | undefined): SearchText | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  const text = (query ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, MAX_SEARCH_TEXT);
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

/** The rank of a product (columns `symbol` and `name` of alias `t`) in SQL, equal to {@link searchRank}. */
function rankSql(s: SearchText, t: string): [string, string[]] {
  return [
    `case when upper(${t}.symbol) = ? then 0 when ${t}.symbol like ? escape '!' then 1 when lower(${t}.name) like ? escape '!' then 2 else 3 end`,
    [s.symbol, `${escapeLike(s.symbol)}%`, `${escapeLike(s.words[0]!)}%`],
  ];
}

/** {@link listingOrder} in SQL. */
const listingSql = (t: string) => `case when ${t}.symbol like '%.%' then 1 else 0 end`;

/**
 * The matches of a search as one SQL subquery of (symbol, search_rank, search_listing), a union
 * of index lookups, with its bindings: symbols by prefix from the primary key (or the (type,
 * symbol) index), names through the dialect's trigram index. A symbol in both parts gets the
 * same rank from each, so the union holds it once.
 */
function matchesSql(dialect: Dialect, s: SearchText, type: string | undefined): [string, (string | number)[]] {
  const parts: string[] = [];
  const bindings: (string | number)[] = [];
  const exact = `case when upper(b.symbol) = ? then 0 else 1 end`;
  const typed = type ? ' and b.type = ?' : '';
  if (dialect === 'sqlite') {
    // BINARY range on the index (symbols are upper-case; LIKE would not use it).
    parts.push(`select b.symbol, ${exact} as search_rank, ${listingSql('b')} as search_listing from products b where b.symbol >= ? and b.symbol < ?${typed}`);
    bindings.push(s.symbol, s.symbol, `${s.symbol}\u007f`);
  } else {
    parts.push(`select b.symbol, ${exact} as search_rank, ${listingSql('b')} as search_listing from products b where b.symbol like ? escape '!'${typed}`);
    bindings.push(s.symbol, `${escapeLike(s.symbol)}%`);
  }
  if (type) bindings.push(type);
  if (s.byName) {
    const long = s.words.filter((w) => [...w].length >= MIN_NAME_WORD);
    const likes = s.words.map(() => `lower(n.name) like ? escape '!'`).join(' and ');
    const likeBindings = s.words.map((w) => `%${escapeLike(w)}%`);
    const [rank, rankBindings] = rankSql(s, 'n');
    const select = `select n.symbol, ${rank} as search_rank, ${listingSql('n')} as search_listing`;
    const nameTyped = type ? ' and n.type = ?' : '';
    if (dialect === 'sqlite') {
      // The FTS table carries symbol, type and name: no products row is read for a match.
      const match = long.map((w) => `"${w.replace(/"/g, '""')}"`).join(' AND ');
      parts.push(`${select} from product_search n where n.product_search match ? and ${likes}${nameTyped}`);
      bindings.push(...rankBindings, match, ...likeBindings);
    } else {
      const trigrams = [...new Set(long.flatMap(nameTrigrams))];
      // straight_join: the trigram matches drive (the planner may otherwise scan products and probe them).
      parts.push(
        `${select} from (select symbol from product_trigrams where trigram in (${trigrams.map(() => '?').join(', ')}) group by symbol having count(*) = ?) g straight_join products n on n.symbol = g.symbol where ${likes}${nameTyped}`,
      );
      bindings.push(...rankBindings, ...trigrams, trigrams.length, ...likeBindings);
    }
    if (type) bindings.push(type);
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
  opts: { readonly type?: string; readonly cursor?: SearchCursor; readonly limit: number; readonly withTotal?: boolean },
): Promise<Record<string, unknown>[]> {
  const [matches, matchBindings] = matchesSql(dialect, s, opts.type);
  const c = opts.cursor;
  const after = c ? ' where (m.search_rank > ? or (m.search_rank = ? and (m.search_listing > ? or (m.search_listing = ? and m.symbol > ?))))' : '';
  const afterBindings = c ? [c.rank, c.rank, c.listing, c.listing, c.symbol] : [];
  // withTotal: every match is counted (before the cursor) in the pass that ranks them.
  const source = opts.withTotal ? `(select w.*, count(*) over () as search_total from (${matches}) w)` : `(${matches})`;
  const total = (t: string) => (opts.withTotal ? `, ${t}.search_total` : '');
  // Ranked on (symbol, rank, listing) only; the page's products rows are read last.
  const join = dialect === 'mysql' ? 'straight_join' : 'join';
  const sql =
    `select p.*, k.search_rank, k.search_listing${total('k')} from (select m.symbol, m.search_rank, m.search_listing${total('m')} from ${source} m${after} order by m.search_rank, m.search_listing, m.symbol limit ?) k ` +
    `${join} products p on p.symbol = k.symbol order by k.search_rank, k.search_listing, k.symbol`;
  const result = await knex.raw(sql, [...matchBindings, ...afterBindings, opts.limit]);
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
